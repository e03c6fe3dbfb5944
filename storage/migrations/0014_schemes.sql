-- Peer schemes (docs/SCHEMES.md): Listeners, Insiders, peer mentors, advisors... A directory, requests
-- for help that reach staff only (never another person in custody), peer workers' records, and
-- figures. Requests are personal data: after [schemes] request_retention_days they are reduced to
-- counts (scheme_request_kept). The follow-up answer is stored as a count, never with a person.

-- Schemes set up by staff. Schemes from config.toml are not stored: they are read from the
-- settings, so scheme ids elsewhere are plain text, not references to this table.
CREATE TABLE scheme (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    -- Labels and texts in each content language, as JSON objects {"en": ..., "cy": ...}.
    names           TEXT NOT NULL,
    about           TEXT NOT NULL,
    how             TEXT NOT NULL,
    -- JSON list of wing ids where the scheme runs; an empty list: every wing.
    wings           TEXT NOT NULL DEFAULT '[]',
    notes_allowed   INTEGER NOT NULL DEFAULT 0 CHECK (notes_allowed IN (0, 1)),
    -- Listener-like: requests go to the wing's staff too, at any hour, and jump the queue.
    urgent          INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
    -- Minutes without "I am arranging this" before a request escalates; 0: never.
    escalate_after  INTEGER NOT NULL DEFAULT 0 CHECK (escalate_after >= 0),
    -- What the member is told about timing, in minutes ("usually within ...").
    expect_within   INTEGER NOT NULL DEFAULT 1440 CHECK (expect_within > 0),
    created_by      INTEGER REFERENCES person(id) ON DELETE SET NULL,
    position        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);

-- Staff who coordinate a scheme (added by an admin); config may also name them by Telegram id.
CREATE TABLE scheme_coordinator (
    scheme_id TEXT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    added_by  INTEGER REFERENCES person(id) ON DELETE SET NULL,
    added_at  TEXT NOT NULL,
    PRIMARY KEY (scheme_id, person_id)
);

CREATE TABLE scheme_request (
    id           INTEGER PRIMARY KEY,
    scheme_id    TEXT NOT NULL,
    person_id    INTEGER REFERENCES person(id) ON DELETE SET NULL,
    wing         TEXT NOT NULL,
    -- Reaches staff only; screened by safeguarding when typed.
    note         TEXT CHECK (note IS NULL OR length(note) <= 500),
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','arranged','cancelled')),
    created_at   TEXT NOT NULL,
    arranged_at  TEXT,
    arranged_by  INTEGER REFERENCES person(id) ON DELETE SET NULL,
    cancelled_at TEXT,
    escalated_at TEXT,
    -- Whether the follow-up was answered (the answer itself is only a count, below).
    followed_up  INTEGER NOT NULL DEFAULT 0 CHECK (followed_up IN (0, 1))
);
CREATE INDEX scheme_request_person ON scheme_request(person_id, scheme_id, created_at);
CREATE INDEX scheme_request_month ON scheme_request(scheme_id, created_at);

-- Requests past the retention period, reduced to counts per scheme and month (no person).
-- minutes: JSON list of minutes from request to "arranged", for the median in reports.
CREATE TABLE scheme_request_kept (
    scheme_id  TEXT NOT NULL,
    month      TEXT NOT NULL,
    requests   INTEGER NOT NULL DEFAULT 0 CHECK (requests >= 0),
    arranged   INTEGER NOT NULL DEFAULT 0 CHECK (arranged >= 0),
    cancelled  INTEGER NOT NULL DEFAULT 0 CHECK (cancelled >= 0),
    escalated  INTEGER NOT NULL DEFAULT 0 CHECK (escalated >= 0),
    minutes    TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (scheme_id, month)
);

-- "Did you get the help you asked for?": counts only, by the month of the request.
CREATE TABLE scheme_followup (
    scheme_id TEXT NOT NULL,
    month     TEXT NOT NULL,
    answer    TEXT NOT NULL CHECK (answer IN ('yes','partly','no')),
    count     INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),
    PRIMARY KEY (scheme_id, month, answer)
);

-- A member's role in a scheme: training, dates, and the name they agreed to be listed by.
CREATE TABLE peer_worker (
    id          INTEGER PRIMARY KEY,
    scheme_id   TEXT NOT NULL,
    person_id   INTEGER REFERENCES person(id) ON DELETE SET NULL,
    wing        TEXT NOT NULL,
    listed_name TEXT CHECK (listed_name IS NULL OR length(listed_name) <= 40),
    training    TEXT NOT NULL,
    trained_on  TEXT,
    started_on  TEXT NOT NULL,
    ended_on    TEXT,
    added_by    INTEGER REFERENCES person(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX peer_worker_scheme ON peer_worker(scheme_id, ended_on);
CREATE INDEX peer_worker_person ON peer_worker(person_id);
-- One active role per person and scheme.
CREATE UNIQUE INDEX peer_worker_active ON peer_worker(scheme_id, person_id) WHERE ended_on IS NULL;

-- Hours per worker per week (the Monday that starts it); never who was helped.
CREATE TABLE peer_hours (
    worker_id   INTEGER NOT NULL REFERENCES peer_worker(id) ON DELETE CASCADE,
    week        TEXT NOT NULL,
    hours       REAL NOT NULL CHECK (hours >= 0 AND hours <= 80),
    recorded_by INTEGER REFERENCES person(id) ON DELETE SET NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (worker_id, week)
);

-- The Insider welcome goes once per person.
CREATE TABLE scheme_welcome (
    person_id INTEGER PRIMARY KEY REFERENCES person(id) ON DELETE CASCADE,
    sent_at   TEXT NOT NULL
);

-- A person whose details are deleted (they left, or the retention sweep) keeps no request, note
-- or listed name; their hours stay in the figures with nobody named.
CREATE TRIGGER scheme_forget AFTER UPDATE OF forgotten_at ON person
WHEN NEW.forgotten_at IS NOT NULL
BEGIN
    UPDATE scheme_request SET person_id = NULL, note = NULL WHERE person_id = NEW.id;
    UPDATE peer_worker SET person_id = NULL, listed_name = NULL,
        ended_on = COALESCE(ended_on, substr(NEW.forgotten_at, 1, 10))
        WHERE person_id = NEW.id;
    DELETE FROM scheme_coordinator WHERE person_id = NEW.id;
    DELETE FROM scheme_welcome WHERE person_id = NEW.id;
END;

-- Urgent notices (Listener requests, safeguarding alerts) are read first from the outbox
-- through outbox_urgent, made by 0009_safety.sql.
