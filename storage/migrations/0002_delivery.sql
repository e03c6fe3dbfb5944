-- Delivery: staff announcements. A draft is written at preview time; confirming it turns it
-- into notices in the outbox exactly once (draft -> sent in the same transaction).
CREATE TABLE announcement (
    id         INTEGER PRIMARY KEY,
    author_id  INTEGER REFERENCES person(id) ON DELETE SET NULL,
    audience   TEXT NOT NULL CHECK (audience IN ('members','families','staff','everyone')),
    text       TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','sent','cancelled')),
    recipients INTEGER,
    created_at TEXT NOT NULL,
    done_at    TEXT
);
