// The local channel's chat page: no framework, nothing from the internet.
// It talks only to this server's /api/* (see docs/LOCAL_CHANNEL.md).
"use strict";

const state = {
  strings: { en: {}, cy: {} },
  lang: "en",
  personas: [],
  cursor: 0,
  chats: new Map(), // chat id -> Map(message id -> message)
  loaded: new Set(), // chats whose history has been fetched
  unread: new Map(), // chat id -> count of new bot messages not yet seen
  panes: [], // {el, chat}
};
const MAX_PANES = 4;

function t(id, params) {
  const text = state.strings[state.lang][id] || state.strings.en[id] || id;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params && name in params ? String(params[name]) : ""));
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.error || response.statusText);
    error.status = response.status;
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

// ---------------------------------------------------------------- language and text size

function applyStrings(root) {
  for (const el of root.querySelectorAll("[data-text]")) el.textContent = t(el.dataset.text);
}

function setLanguage(lang) {
  state.lang = lang === "cy" ? "cy" : "en";
  document.documentElement.lang = state.lang;
  document.getElementById("page-language").value = state.lang;
  localStorage.setItem("local.lang", state.lang);
  applyStrings(document);
  document.title = `${t("title")}: ${t("subtitle").split(":")[0]}`;
  for (const pane of state.panes) labelPane(pane);
  refreshSwitchers();
}

function setLarge(on) {
  document.documentElement.classList.toggle("large", on);
  document.getElementById("larger-text").setAttribute("aria-pressed", String(on));
  localStorage.setItem("local.large", on ? "1" : "");
}

// ---------------------------------------------------------------- panes and the switcher

function optionText(p) {
  const unread = state.unread.get(p.id) || 0;
  const role = p.role ? `: ${p.role}` : "";
  return `${p.name}${role}${unread ? ` (${t("new_count", { count: unread })})` : ""}`;
}

function refreshSwitchers() {
  for (const pane of state.panes) {
    const select = pane.el.querySelector(".persona");
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
    pane.el.querySelector(".close-pane").hidden = state.panes.length < 2;
  }
  document.getElementById("add-pane").hidden = state.panes.length >= MAX_PANES;
}

function labelPane(pane) {
  const p = persona(pane.chat);
  pane.el.setAttribute("aria-label", t("chat_with", { name: p ? p.name : "" }));
  pane.el.querySelector(".log").dataset.empty = t(state.personas.length ? "empty_chat" : "no_people");
}

function savePanes() {
  localStorage.setItem("local.panes", JSON.stringify(state.panes.map((p) => p.chat)));
}

function addPane(chat) {
  const template = document.getElementById("pane-template");
  const el = template.content.firstElementChild.cloneNode(true);
  const pane = { el, chat };
  applyStrings(el);
  const n = document.querySelectorAll(".pane").length + 1;
  const textarea = el.querySelector("textarea");
  textarea.id = `message-${n}`;
  el.querySelector(".compose label").htmlFor = textarea.id;
  el.querySelector(".persona").addEventListener("change", (event) => {
    choose(pane, Number(event.target.value));
  });
  el.querySelector(".close-pane").addEventListener("click", () => {
    state.panes = state.panes.filter((p) => p !== pane);
    el.remove();
    refreshSwitchers();
    savePanes();
    state.panes[state.panes.length - 1].el.querySelector(".persona").focus();
  });
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
      showError(pane, error.message);
    }
  }
  if (pane.chat === chat) renderPane(pane);
}

// ---------------------------------------------------------------- messages

function renderPane(pane) {
  const log = pane.el.querySelector(".log");
  log.replaceChildren();
  const messages = [...chatOf(pane.chat).values()].filter((m) => !m.deleted).sort((a, b) => a.id - b.id);
  for (const m of messages) log.append(buildMessage(pane, m));
  log.scrollTop = log.scrollHeight;
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
  return li;
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
    const hadFocus = old.contains(document.activeElement);
    old.replaceWith(fresh);
    if (hadFocus) (fresh.querySelector(".keyboard button") || fresh).focus();
    return;
  }
  const later = [...log.children].find((li) => Number(li.dataset.id) > m.id);
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  log.insertBefore(fresh, later || null);
  if (atBottom || m.from !== "bot") log.scrollTop = log.scrollHeight;
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
  if (unknownPerson) loadPeople();
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
  } catch (error) {
    showError(pane, t("not_sent", { reason: error.message }));
  }
}

async function press(pane, m, data, li) {
  const buttons = [...li.querySelectorAll(".keyboard button")];
  for (const b of buttons) b.disabled = true;
  li.setAttribute("aria-busy", "true");
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
    showError(pane, error.message);
  } finally {
    li.removeAttribute("aria-busy");
    for (const b of buttons) b.disabled = false;
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
  for (;;) {
    try {
      const data = await api(`/api/changes?since=${state.cursor}&timeout=25`);
      offline.hidden = true;
      state.cursor = Math.max(state.cursor, data.cursor);
      if (data.messages.length) apply(data.messages);
    } catch (error) {
      offline.hidden = false;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

async function start() {
  state.strings = await api("/api/strings");
  const saved = localStorage.getItem("local.lang");
  setLanguage(saved || (navigator.language || "en").slice(0, 2));
  setLarge(Boolean(localStorage.getItem("local.large")));
  const data = await loadPeople();
  state.cursor = data.cursor;
  const ids = new Set(state.personas.map((p) => p.id));
  const asked = new URLSearchParams(location.search).get("as");
  let chats = asked ? asked.split(",").map(Number) : JSON.parse(localStorage.getItem("local.panes") || "[]");
  chats = chats.filter((id) => ids.has(id)).slice(0, MAX_PANES);
  if (!chats.length) chats = state.personas.length ? [state.personas[0].id] : [0];
  for (const chat of chats) addPane(chat);
  setLanguage(state.lang);

  document.getElementById("page-language").addEventListener("change", (e) => setLanguage(e.target.value));
  document.getElementById("larger-text").addEventListener("click", () => {
    setLarge(!document.documentElement.classList.contains("large"));
  });
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

start();
