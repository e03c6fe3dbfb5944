// The local channel's chat page: no framework, nothing from the internet.
// It talks only to this server's /api/* (see docs/LOCAL_CHANNEL.md and docs/INCELL.md).
// Two ways to run: the demo (anyone is anyone: a switcher and side-by-side chats), or the
// in-cell channel (one signed-in person, their own chat only, a Sign out button, and on a kiosk
// an idle countdown that signs out and clears the page).
"use strict";

const state = {
  strings: { en: {}, cy: {} },
  lang: "en",
  mode: "demo", // "demo", "pin" or "oidc"
  signedIn: false,
  csrf: "",
  kiosk: false,
  idleSeconds: 0,
  lastActive: Date.now(),
  lastAlive: 0,
  stopped: false,
  personas: [],
  cursor: 0,
  chats: new Map(), // chat id -> Map(message id -> message)
  loaded: new Set(), // chats whose history has been fetched
  unread: new Map(), // chat id -> count of new bot messages not yet seen
  panes: [], // {el, chat, pressed}
};
const MAX_PANES = 4;
const ALIVE_EVERY_MS = 20000;

function t(id, params) {
  const text = state.strings[state.lang][id] || state.strings.en[id] || id;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params && name in params ? String(params[name]) : ""));
}

// A refusal's words: the server answers with an id from the page's catalogue where it can.
function reason(error) {
  const id = `incell.${error.message}`;
  if (state.strings.en[id]) return t(id, error.params || {});
  return error.message;
}

async function api(path, body) {
  const options = { headers: {}, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  if (state.csrf) options.headers["X-CSRF-Token"] = state.csrf;
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.error || response.statusText);
    error.status = response.status;
    error.params = data.params;
    if (response.status === 401 && data.error === "session_ended" && state.signedIn) {
      signedOut("incell.session_ended");
    }
    throw error;
  }
  return data;
}

function persona(id) {
  return state.personas.find((p) => p.id === id);
}

function chatOf(id) {
  if (!state.chats.has(id)) state.chats.set(id, new Map());
  return state.chats.get(id);
}

function remember(key, value) {
  // A shared kiosk keeps nothing of anyone between sessions, not even preferences.
  if (!state.kiosk) localStorage.setItem(key, value);
}

// ---------------------------------------------------------------- language, text, contrast

function applyStrings(root) {
  for (const el of root.querySelectorAll("[data-text]")) el.textContent = t(el.dataset.text);
}

function setLanguage(lang) {
  state.lang = lang === "cy" ? "cy" : "en";
  document.documentElement.lang = state.lang;
  document.getElementById("page-language").value = state.lang;
  remember("local.lang", state.lang);
  applyStrings(document);
  if (state.mode !== "demo") document.getElementById("subtitle").textContent = t("incell.subtitle_signed_in");
  document.title = state.mode === "demo" ? `${t("title")}: ${t("subtitle").split(":")[0]}` : t("title");
  for (const pane of state.panes) {
    labelPane(pane);
    for (const button of pane.el.querySelectorAll(".speak")) button.textContent = t("incell.read_aloud");
  }
  refreshSwitchers();
}

function setLarge(on) {
  document.documentElement.classList.toggle("large", on);
  document.getElementById("larger-text").setAttribute("aria-pressed", String(on));
  remember("local.large", on ? "1" : "");
  keepPinned();
}

function setContrast(on) {
  document.documentElement.classList.toggle("contrast", on);
  document.getElementById("high-contrast").setAttribute("aria-pressed", String(on));
  remember("local.contrast", on ? "1" : "");
  keepPinned();
}

// ---------------------------------------------------------------- reading aloud

function canSpeak() {
  return "speechSynthesis" in window && window.speechSynthesis.getVoices().length > 0;
}

function updateSpeech() {
  // Only where the device has a voice of its own: nothing is sent anywhere to be spoken.
  document.documentElement.classList.toggle("can-speak", canSpeak());
}

function readAloud(text) {
  const synth = window.speechSynthesis;
  synth.cancel();
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = state.lang === "cy" ? "cy-GB" : "en-GB";
  const voice = synth.getVoices().find((v) => v.lang && v.lang.startsWith(state.lang));
  if (voice) utterance.voice = voice;
  synth.speak(utterance);
}

// ---------------------------------------------------------------- panes and the switcher

function roleOf(p) {
  return (p.roles && p.roles[state.lang]) || p.role || "";
}

function optionText(p) {
  const unread = state.unread.get(p.id) || 0;
  const role = roleOf(p) ? `: ${roleOf(p)}` : "";
  return `${p.name}${role}${unread ? ` (${t("new_count", { count: unread })})` : ""}`;
}

function refreshSwitchers() {
  for (const pane of state.panes) {
    const select = pane.el.querySelector(".persona");
    if (!select) continue;
    const current = pane.chat;
    select.replaceChildren();
    for (const p of state.personas) {
      const option = document.createElement("option");
      option.value = String(p.id);
      option.textContent = optionText(p);
      option.selected = p.id === current;
      select.append(option);
    }
  }
  for (const pane of state.panes) {
    const close = pane.el.querySelector(".close-pane");
    if (close) close.hidden = state.panes.length < 2;
  }
  document.getElementById("add-pane").hidden = state.mode !== "demo" || state.panes.length >= MAX_PANES;
}

function labelPane(pane) {
  const p = persona(pane.chat);
  pane.el.setAttribute("aria-label", t("chat_with", { name: p ? p.name : "" }));
  pane.el.querySelector(".log").dataset.empty = t(state.personas.length ? "empty_chat" : "no_people");
  const me = pane.el.querySelector(".me");
  if (me) me.textContent = p ? [p.name, roleOf(p)].filter(Boolean).join(", ") : "";
}

function savePanes() {
  if (state.mode === "demo") remember("local.panes", JSON.stringify(state.panes.map((p) => p.chat)));
}

function addPane(chat) {
  const template = document.getElementById("pane-template");
  const el = template.content.firstElementChild.cloneNode(true);
  const pane = { el, chat, pressed: null };
  if (state.mode === "demo") {
    el.querySelector(".me").remove();
  } else {
    // One person, one chat: no switcher, no second pane.
    el.querySelector(".who").remove();
    el.querySelector(".close-pane").remove();
  }
  applyStrings(el);
  const n = document.querySelectorAll(".pane").length + 1;
  const textarea = el.querySelector("textarea");
  textarea.id = `message-${n}`;
  el.querySelector(".compose label").htmlFor = textarea.id;
  const select = el.querySelector(".persona");
  if (select) {
    select.addEventListener("change", (event) => {
      choose(pane, Number(event.target.value));
    });
    el.querySelector(".close-pane").addEventListener("click", () => {
      state.panes = state.panes.filter((p) => p !== pane);
      el.remove();
      refreshSwitchers();
      savePanes();
      state.panes[state.panes.length - 1].el.querySelector(".persona").focus();
    });
  }
  el.querySelector(".compose").addEventListener("submit", (event) => {
    event.preventDefault();
    send(pane, textarea.value);
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(pane, textarea.value);
    }
  });
  for (const chip of el.querySelectorAll(".chip")) {
    chip.addEventListener("click", () => send(pane, chip.dataset.command, { keepDraft: true }));
  }
  document.getElementById("panes").append(el);
  watchPinned(pane);
  state.panes.push(pane);
  refreshSwitchers();
  choose(pane, chat);
  return pane;
}

async function choose(pane, chat) {
  pane.chat = chat;
  state.unread.delete(chat);
  labelPane(pane);
  refreshSwitchers();
  savePanes();
  if (!state.loaded.has(chat) && persona(chat)) {
    try {
      const data = await api(`/api/chat?id=${chat}`);
      const messages = chatOf(chat);
      for (const m of data.messages) if (!messages.has(m.id) || messages.get(m.id).seq < m.seq) messages.set(m.id, m);
      state.loaded.add(chat);
    } catch (error) {
      showError(pane, reason(error));
    }
  }
  if (pane.chat === chat) renderPane(pane);
}

// ---------------------------------------------------------------- messages

function toBottom(pane) {
  const log = pane.el.querySelector(".log");
  log.scrollTop = log.scrollHeight;
  pane.pinned = true;
}

// A chat the reader has not scrolled up in stays at its newest message whatever changes size:
// larger text, high contrast, a toast, the phone turned round.
function keepPinned() {
  for (const pane of state.panes) if (pane.pinned !== false) toBottom(pane);
}

function watchPinned(pane) {
  const log = pane.el.querySelector(".log");
  log.addEventListener("scroll", () => {
    pane.pinned = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  }, { passive: true });
  if ("ResizeObserver" in window) {
    const observer = new ResizeObserver(() => {
      if (pane.pinned !== false) log.scrollTop = log.scrollHeight;
    });
    observer.observe(log);
    new MutationObserver((changes) => {
      for (const change of changes) for (const node of change.addedNodes) if (node.nodeType === 1) observer.observe(node);
    }).observe(log, { childList: true });
  }
}

function renderPane(pane) {
  const log = pane.el.querySelector(".log");
  log.replaceChildren();
  const messages = [...chatOf(pane.chat).values()].filter((m) => !m.deleted).sort((a, b) => a.id - b.id);
  for (const m of messages) log.append(buildMessage(pane, m));
  toBottom(pane);
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function buildMessage(pane, m) {
  const li = document.createElement("li");
  li.className = `msg ${m.from === "bot" ? "bot" : "person"}`;
  li.dataset.id = String(m.id);
  li.tabIndex = -1;
  // The list is a live log (role="log"), so each message is an article in it, not a list item.
  li.setAttribute("role", "article");
  const who = document.createElement("span");
  who.className = "visually-hidden";
  who.textContent = `${t(m.from === "bot" ? "from_bot" : "from_you")} `;
  li.append(who);
  if (m.file && m.kind === "photo") {
    const img = document.createElement("img");
    img.src = m.file.url;
    img.alt = m.text || t("image_alt");
    li.append(img);
  } else if (m.file) {
    const link = document.createElement("a");
    link.className = "file";
    link.href = m.file.url;
    link.download = m.file.name;
    link.textContent = `\u{1F4C4} ${t("download", { name: m.file.name, size: formatSize(m.file.size) })}`;
    li.append(link);
  }
  if (m.text) {
    const text = document.createElement("p");
    text.className = "text";
    text.textContent = m.text;
    li.append(text);
  }
  if (m.buttons && m.buttons.length) {
    const keyboard = document.createElement("div");
    keyboard.className = "keyboard";
    for (const row of m.buttons) {
      const line = document.createElement("div");
      line.className = "row";
      for (const b of row) {
        if (b.callback_data) {
          const button = document.createElement("button");
          button.type = "button";
          button.textContent = b.text;
          button.addEventListener("click", () => press(pane, m, b.callback_data, li));
          line.append(button);
        } else if (b.url) {
          const link = document.createElement("a");
          link.href = b.url;
          link.target = "_blank";
          link.rel = "noopener noreferrer";
          link.textContent = b.text;
          line.append(link);
        }
      }
      keyboard.append(line);
    }
    li.append(keyboard);
  }
  const meta = document.createElement("span");
  meta.className = "meta";
  const when = new Date(m.date * 1000).toLocaleTimeString(state.lang === "cy" ? "cy-GB" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
  });
  meta.textContent = m.edited ? `${when} · ${t("edited")}` : when;
  li.append(meta);
  if (m.from === "bot" && m.text) {
    const speak = document.createElement("button");
    speak.type = "button";
    speak.className = "speak";
    speak.textContent = t("incell.read_aloud");
    speak.addEventListener("click", () => readAloud(m.text));
    li.append(speak);
  }
  return li;
}

function focusMessage(pane, id) {
  // After a press the pressed message's first button gets focus, never <body>.
  const li = pane.el.querySelector(`.log li[data-id="${id}"]`);
  if (!li) return;
  const target = li.querySelector(".keyboard button:not(:disabled)") || li;
  target.focus({ preventScroll: true });
  if (li === pane.el.querySelector(".log").lastElementChild) toBottom(pane);
  else li.scrollIntoView({ block: "nearest" });
}

function placeMessage(pane, m) {
  const log = pane.el.querySelector(".log");
  // How many times the bot has changed this chat: lets scripts (and tests) wait for an answer.
  if (m.from === "bot") pane.el.dataset.botChanges = String(Number(pane.el.dataset.botChanges || 0) + 1);
  const old = log.querySelector(`li[data-id="${m.id}"]`);
  if (m.deleted) {
    if (old) old.remove();
    return;
  }
  const fresh = buildMessage(pane, m);
  if (old) {
    // An edit in place: keep the reader's place, and their focus if it was on this message.
    const hadFocus = old.contains(document.activeElement) || pane.pressed === m.id;
    old.replaceWith(fresh);
    if (hadFocus) focusMessage(pane, m.id);
    return;
  }
  const later = [...log.children].find((li) => Number(li.dataset.id) > m.id);
  log.insertBefore(fresh, later || null);
  // The newest message stays in view (a phone has room for little else).
  if (!later) toBottom(pane);
}

function apply(messages) {
  let unknownPerson = false;
  for (const m of messages) {
    const chat = chatOf(m.chat);
    const known = chat.has(m.id);
    const previous = chat.get(m.id);
    if (previous && previous.seq >= m.seq) continue;
    chat.set(m.id, m);
    if (!persona(m.chat)) unknownPerson = true;
    const showing = state.panes.filter((p) => p.chat === m.chat);
    for (const pane of showing) placeMessage(pane, m);
    if (!showing.length && !known && m.from === "bot" && !m.deleted) {
      state.unread.set(m.chat, (state.unread.get(m.chat) || 0) + 1);
      const p = persona(m.chat);
      if (p) document.getElementById("announcer").textContent = t("notice_for", { name: p.name });
    }
  }
  refreshSwitchers();
  if (unknownPerson && state.mode === "demo") loadPeople();
}

async function send(pane, raw, options) {
  const text = raw.trim();
  if (!text) return;
  showError(pane, "");
  const textarea = pane.el.querySelector("textarea");
  try {
    const data = await api("/api/send", { chat: pane.chat, text });
    if (!(options && options.keepDraft)) textarea.value = "";
    apply([data.message]);
    toBottom(pane);
  } catch (error) {
    showError(pane, t("not_sent", { reason: reason(error) }));
  }
}

async function press(pane, m, data, li) {
  const buttons = [...li.querySelectorAll(".keyboard button")];
  for (const b of buttons) b.disabled = true;
  li.setAttribute("aria-busy", "true");
  pane.pressed = m.id;
  const toast = pane.el.querySelector(".toast");
  try {
    const result = await api("/api/press", { chat: m.chat, message_id: m.id, data });
    const answer = result.answer;
    toast.classList.toggle("alert", Boolean(answer && answer.show_alert));
    toast.setAttribute("role", answer && answer.show_alert ? "alert" : "status");
    toast.textContent = answer ? answer.text || "" : t("no_answer");
    clearTimeout(pane.toastTimer);
    pane.toastTimer = setTimeout(() => (toast.textContent = ""), answer && answer.show_alert ? 15000 : 6000);
  } catch (error) {
    showError(pane, reason(error));
  } finally {
    li.removeAttribute("aria-busy");
    for (const b of buttons) b.disabled = false;
    // The edit may come before or after the answer: either way focus lands on the message.
    const active = document.activeElement;
    if (!active || active === document.body || active.disabled) focusMessage(pane, m.id);
    setTimeout(() => {
      if (pane.pressed === m.id) pane.pressed = null;
    }, 5000);
  }
}

function showError(pane, text) {
  const error = pane.el.querySelector(".error");
  error.textContent = text;
  error.hidden = !text;
}

// ---------------------------------------------------------------- keeping up to date

async function loadPeople() {
  const data = await api("/api/state");
  state.personas = data.personas;
  refreshSwitchers();
  for (const pane of state.panes) labelPane(pane);
  return data;
}

async function follow() {
  const offline = document.getElementById("offline");
  while (!state.stopped) {
    try {
      const chat = state.mode === "demo" ? "" : `&chat=${state.panes[0].chat}`;
      const data = await api(`/api/changes?since=${state.cursor}&timeout=25${chat}`);
      if (state.stopped) return;
      offline.hidden = true;
      if (data.reset) {
        // The server started again: its change numbers did too. Load the chats afresh.
        state.cursor = data.cursor;
        state.loaded.clear();
        for (const pane of state.panes) choose(pane, pane.chat);
        continue;
      }
      state.cursor = Math.max(state.cursor, data.cursor);
      if (data.messages.length) apply(data.messages);
    } catch (error) {
      if (state.stopped) return;
      offline.hidden = false;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

// ---------------------------------------------------------------- signing in and out

function showProblem(text) {
  const problem = document.getElementById("signin-problem");
  problem.textContent = text;
  problem.hidden = !text;
}

function showSignIn(session, notice) {
  document.getElementById("signin").hidden = false;
  document.getElementById("panes").hidden = true;
  document.getElementById("pin-forms").hidden = session.mode !== "pin";
  document.getElementById("oidc-forms").hidden = session.mode !== "oidc";
  document.getElementById("oidc-start").hidden = Boolean(session.linking);
  document.getElementById("oidc-link").hidden = !session.linking;
  document.getElementById("signin-notice").textContent = notice || "";
  const params = new URLSearchParams(location.search);
  const problem = params.get("problem");
  if (problem) showProblem(t(`incell.${problem}`));
  if (params.has("signed_out")) document.getElementById("signin-notice").textContent = t("incell.signed_out");
  if (location.search) history.replaceState(null, "", "/"); // nothing of the round trip kept
  const first = session.linking ? "link-code" : session.mode === "pin" ? "signin-reference" : "oidc-button";
  document.getElementById(first).focus();
}

function pinsMatch(form) {
  if (form.elements.again && form.elements.again.value !== form.elements.pin.value) {
    showProblem(t("incell.pin_mismatch"));
    return false;
  }
  return true;
}

function signInForm(id, path, fields, after) {
  const form = document.getElementById(id);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showProblem("");
    if (!pinsMatch(form)) return;
    const body = {};
    for (const name of fields) body[name] = form.elements[name].value;
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const result = await api(path, body);
      for (const input of form.querySelectorAll("input")) input.value = "";
      if (after) after(result);
      else location.replace("/");
    } catch (error) {
      showProblem(reason(error));
      const pin = form.elements.pin;
      if (pin) pin.value = "";
      if (form.elements.again) form.elements.again.value = "";
    } finally {
      submit.disabled = false;
    }
  });
}

function joined(result) {
  // The reference is shown once, big, before the chat opens: it is needed to sign in again.
  if (result.reference) sessionStorage.setItem("incell.reference", result.reference);
  location.replace("/");
}

async function signOut() {
  try {
    await api("/api/signout", {});
  } catch (error) {
    // Signed out already (or the server is away): the page is cleared all the same.
  }
  signedOut();
}

function signedOut(problem) {
  // Nothing of the chat is left: not in the page, not in storage, not in history.
  state.stopped = true;
  state.signedIn = false;
  state.chats.clear();
  state.panes = [];
  document.getElementById("panes").replaceChildren();
  document.getElementById("announcer").textContent = "";
  sessionStorage.clear();
  localStorage.removeItem("local.panes");
  location.replace(problem ? `/?problem=${problem.replace("incell.", "")}` : "/?signed_out=1");
}

function formatTime(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function watchIdle() {
  const countdown = document.getElementById("countdown");
  const active = () => {
    state.lastActive = Date.now();
    if (Date.now() - state.lastAlive > ALIVE_EVERY_MS) {
      state.lastAlive = Date.now();
      api("/api/alive", {}).catch(() => {});
    }
  };
  for (const name of ["pointerdown", "keydown", "input", "wheel", "touchstart"]) {
    document.addEventListener(name, active, { passive: true, capture: true });
  }
  countdown.hidden = !state.kiosk;
  let warned = false;
  setInterval(() => {
    const left = state.idleSeconds - (Date.now() - state.lastActive) / 1000;
    if (state.kiosk) {
      countdown.textContent = t("incell.countdown", { time: formatTime(left) });
      countdown.classList.toggle("soon", left <= 30);
      if (left <= 30 && !warned) {
        warned = true;
        document.getElementById("announcer").textContent = countdown.textContent;
      }
      if (left > 30) warned = false;
    }
    if (left <= 0 && state.signedIn) signOut();
  }, 1000);
}

// ---------------------------------------------------------------- start

function preferences() {
  setLanguage(localStorage.getItem("local.lang") || (navigator.language || "en").slice(0, 2));
  setLarge(Boolean(localStorage.getItem("local.large")));
  setContrast(Boolean(localStorage.getItem("local.contrast")));
  document.getElementById("page-language").addEventListener("change", (e) => setLanguage(e.target.value));
  document.getElementById("larger-text").addEventListener("click", () => {
    setLarge(!document.documentElement.classList.contains("large"));
  });
  document.getElementById("high-contrast").addEventListener("click", () => {
    setContrast(!document.documentElement.classList.contains("contrast"));
  });
  document.getElementById("skip").addEventListener("click", (event) => {
    event.preventDefault();
    const box = document.querySelector(".pane textarea");
    if (box) box.focus();
  });
  updateSpeech();
  if ("speechSynthesis" in window) window.speechSynthesis.addEventListener("voiceschanged", updateSpeech);
}

async function startDemo() {
  document.getElementById("people").hidden = false;
  document.getElementById("panes").hidden = false;
  document.getElementById("skip").hidden = false;
  const data = await loadPeople();
  state.cursor = data.cursor;
  const ids = new Set(state.personas.map((p) => p.id));
  const asked = new URLSearchParams(location.search).get("as");
  let chats = asked ? asked.split(",").map(Number) : JSON.parse(localStorage.getItem("local.panes") || "[]");
  chats = chats.filter((id) => ids.has(id)).slice(0, MAX_PANES);
  if (!chats.length) chats = state.personas.length ? [state.personas[0].id] : [0];
  for (const chat of chats) addPane(chat);
  setLanguage(state.lang);
  document.getElementById("add-pane").addEventListener("click", () => {
    const shown = new Set(state.panes.map((p) => p.chat));
    const next = state.personas.find((p) => !shown.has(p.id)) || state.personas[0];
    const pane = addPane(next ? next.id : 0);
    pane.el.querySelector(".persona").focus();
  });
  document.getElementById("add-person").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("new-name");
    const made = await api("/api/personas", { name: input.value, language: state.lang });
    input.value = "";
    await loadPeople();
    choose(state.panes[0], made.persona.id);
    state.panes[0].el.querySelector("textarea").focus();
  });
  follow();
}

async function startSignedIn(session) {
  document.getElementById("panes").hidden = false;
  document.getElementById("skip").hidden = false;
  const signOutButton = document.getElementById("sign-out");
  signOutButton.hidden = false;
  signOutButton.addEventListener("click", signOut);
  const data = await loadPeople();
  state.cursor = data.cursor;
  const pane = addPane(session.person.id);
  setLanguage(state.lang);
  const reference = sessionStorage.getItem("incell.reference");
  if (reference) {
    sessionStorage.removeItem("incell.reference");
    pane.el.querySelector(".toast").textContent = t("incell.your_reference", { reference });
  }
  watchIdle();
  follow();
}

async function start() {
  state.strings = await api("/api/strings");
  const session = await api("/api/session");
  state.mode = session.mode;
  state.kiosk = Boolean(session.kiosk);
  state.csrf = session.csrf || "";
  state.idleSeconds = session.idle_seconds || 0;
  document.documentElement.classList.toggle("kiosk", state.kiosk);
  document.documentElement.classList.toggle("incell", state.mode !== "demo");
  preferences();
  if (state.mode === "demo") return startDemo();
  // The demo's controls are not on this page at all.
  document.getElementById("people").remove();
  document.getElementById("add-pane").hidden = true;
  if (session.signed_in) {
    state.signedIn = true;
    return startSignedIn(session);
  }
  signInForm("pin-signin", "/api/signin/pin", ["reference", "pin"]);
  signInForm("pin-join", "/api/signin/join", ["code", "pin"], joined);
  signInForm("pin-reset", "/api/signin/reset", ["reference", "code", "pin"]);
  signInForm("oidc-link", "/api/signin/link", ["code"], joined);
  showSignIn(session);
}

start();
