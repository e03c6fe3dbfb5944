-- Foundation: people and roles, invites and lockouts, the audit log, conversation state,
-- the outbox (every notice, written before it is sent) and timers (the scheduler's truth).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE person (
    id              INTEGER PRIMARY KEY,
    tg_user_id      INTEGER UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('member','chair','family','staff','observer','admin')),
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','revoked','left')),
    language        TEXT NOT NULL DEFAULT 'en',
    language_chosen INTEGER NOT NULL DEFAULT 0,
    wing            TEXT,
    label           TEXT,
    unreachable     INTEGER NOT NULL DEFAULT 0,
    joined_at       TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX person_role ON person(role, status);

CREATE TABLE invite (
    id          INTEGER PRIMARY KEY,
    code_hash   TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    wing        TEXT,
    label       TEXT,
    created_by  INTEGER REFERENCES person(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     INTEGER REFERENCES person(id) ON DELETE SET NULL
);

CREATE TABLE code_attempt (
    tg_user_id INTEGER NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX code_attempt_user ON code_attempt(tg_user_id, at);

CREATE TABLE lockout (
    tg_user_id INTEGER PRIMARY KEY,
    until      TEXT NOT NULL
);

-- Append-only: the database itself refuses to change or delete a line.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor_id   INTEGER,
    actor_role TEXT,
    action     TEXT NOT NULL,
    subject    TEXT,
    detail     TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Multi-step input lives here, not in memory, so a restart does not lose a half-written step.
CREATE TABLE conversation (
    person_id  INTEGER PRIMARY KEY REFERENCES person(id) ON DELETE CASCADE,
    flow       TEXT NOT NULL,
    step       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);

-- Every notice to someone who did not just act. The key names the reason, so it is queued once.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    chat_id       INTEGER NOT NULL,
    person_id     INTEGER REFERENCES person(id) ON DELETE CASCADE,
    message       TEXT NOT NULL,
    params        TEXT NOT NULL DEFAULT '{}',
    buttons       TEXT,
    urgent        INTEGER NOT NULL DEFAULT 0,
    not_before    TEXT NOT NULL,
    expires_at    TEXT,
    status        TEXT NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued','sending','sent','parked','dropped','withdrawn')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    created_at    TEXT NOT NULL,
    done_at       TEXT,
    tg_message_id INTEGER
);
CREATE INDEX outbox_due ON outbox(status, not_before);
CREATE INDEX outbox_chat ON outbox(chat_id, status);

-- Everything that must happen at a time. APScheduler only mirrors the pending rows.
CREATE TABLE timer (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    due_at     TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    payload    TEXT NOT NULL DEFAULT '{}',
    status     TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending','fired','missed','stale','cancelled')),
    done_at    TEXT
);
CREATE INDEX timer_pending ON timer(status, due_at);
