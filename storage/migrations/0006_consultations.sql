-- Consultations: staff ask families and/or members a few questions; answers are private to staff.
-- Who took part is kept apart from what they said once a consultation closes (consultation_taker).

CREATE TABLE consultation (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    background  TEXT NOT NULL,
    audience    TEXT NOT NULL CHECK (audience IN ('families','members','both')),
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','closed')),
    opened_at   TEXT NOT NULL,
    closes_at   TEXT NOT NULL,
    closed_at   TEXT,
    created_by  INTEGER REFERENCES person(id) ON DELETE SET NULL,
    heard       TEXT,
    will_do     TEXT,
    reported_at TEXT,
    reported_by INTEGER REFERENCES person(id) ON DELETE SET NULL
);
CREATE INDEX consultation_status ON consultation(status, closes_at);

CREATE TABLE consultation_question (
    consultation_id INTEGER NOT NULL REFERENCES consultation(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL CHECK (position BETWEEN 1 AND 10),
    kind            TEXT NOT NULL CHECK (kind IN ('text','single','multiple')),
    prompt          TEXT NOT NULL,
    options         TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (consultation_id, position)
);

-- One row per person answering one consultation. person_id links them only while it is open
-- (so they can change their answers); at close, or when they leave, it becomes NULL and the
-- answers stay as anonymous answers. "grp" is family or member, for counts.
CREATE TABLE consultation_participant (
    id              INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultation(id) ON DELETE CASCADE,
    person_id       INTEGER REFERENCES person(id) ON DELETE SET NULL,
    grp             TEXT NOT NULL CHECK (grp IN ('family','member')),
    submitted_at    TEXT,
    name            TEXT,
    UNIQUE (consultation_id, person_id)
);

-- One row per (participant, question) answered; a skipped question has no row.
CREATE TABLE consultation_answer (
    participant_id INTEGER NOT NULL REFERENCES consultation_participant(id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    choice         TEXT,
    answer         TEXT,
    PRIMARY KEY (participant_id, position)
);

-- Who took part in a closed consultation, so they hear back; nothing here links to answers.
CREATE TABLE consultation_taker (
    consultation_id INTEGER NOT NULL REFERENCES consultation(id) ON DELETE CASCADE,
    person_id       INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    PRIMARY KEY (consultation_id, person_id)
) WITHOUT ROWID;
