-- Safety and secrecy (issue 12): sealed poll counts, safer-custody contacts as people, alerts
-- that escalate until someone takes them, and an establishment-wide budget of wrong invite codes.

-- An open poll's counts, sealed (storage/polls.py): one AES-GCM value per poll, re-sealed with a
-- fresh nonce on every vote, deleted at close when the counts are unsealed into poll_option.
CREATE TABLE poll_tally (
    poll_id INTEGER PRIMARY KEY REFERENCES poll(id) ON DELETE CASCADE,
    sealed  BLOB NOT NULL
);

-- Safer-custody contacts are people the bot knows, flagged by an admin (or by the invite that
-- admitted them), not chat ids in the config file.
CREATE TABLE safer_custody_contact (
    person_id INTEGER PRIMARY KEY REFERENCES person(id) ON DELETE CASCADE,
    added_by  INTEGER REFERENCES person(id) ON DELETE SET NULL,
    added_at  TEXT NOT NULL
);
ALTER TABLE invite ADD COLUMN safer_custody INTEGER NOT NULL DEFAULT 0;

-- One row per disclosure: who and where (never the text), and who took it.
CREATE TABLE safeguarding_alert (
    id        INTEGER PRIMARY KEY,
    person_id INTEGER REFERENCES person(id) ON DELETE SET NULL,
    digest    TEXT NOT NULL,
    wing      TEXT,
    flow      TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    rounds    INTEGER NOT NULL DEFAULT 1,
    taken_by  INTEGER REFERENCES person(id) ON DELETE SET NULL,
    taken_at  TEXT,
    UNIQUE (person_id, digest)
);

-- Code entry paused for everyone new after too many wrong codes across the establishment.
CREATE TABLE invite_pause (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    until      TEXT NOT NULL,
    alerted_at TEXT
);

-- Urgent notices (safeguarding alerts) go to the front of the queue: found without a scan.
CREATE INDEX outbox_urgent ON outbox(not_before) WHERE urgent = 1 AND status IN ('queued','sending');
