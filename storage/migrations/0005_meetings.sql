-- Meetings: council meetings and family forums, one row per occurrence (a recurring meeting is
-- a series of rows, each changeable on its own), who was told, answers (RSVP), the agenda's
-- order, and the minutes (attendance and decisions). Reminders are timer rows (0001).

CREATE TABLE meeting_series (
    id         INTEGER PRIMARY KEY,
    rule       TEXT NOT NULL CHECK (rule IN ('weekly','monthly')),
    every      INTEGER NOT NULL DEFAULT 1 CHECK (every BETWEEN 1 AND 12),
    nth        INTEGER CHECK (nth IS NULL OR nth IN (1, 2, 3, 4, -1)),
    weekday    INTEGER CHECK (weekday IS NULL OR weekday BETWEEN 0 AND 6),
    created_by INTEGER REFERENCES person(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE meeting (
    id           INTEGER PRIMARY KEY,
    series_id    INTEGER REFERENCES meeting_series(id),
    kind         TEXT NOT NULL CHECK (kind IN ('council','forum')),
    title        TEXT NOT NULL,
    place        TEXT NOT NULL,
    audience     TEXT NOT NULL CHECK (audience IN ('members','families','both')),
    wing         TEXT,
    starts_at    TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled','cancelled')),
    -- Bumped on every move or cancel: confirm buttons and notice keys carry it.
    version      INTEGER NOT NULL DEFAULT 0,
    created_by   INTEGER REFERENCES person(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    -- Minutes: set when staff finish them; others_count is attendance by people not on the list.
    minuted_at   TEXT,
    others_count INTEGER NOT NULL DEFAULT 0 CHECK (others_count >= 0)
);
CREATE INDEX meeting_upcoming ON meeting(status, starts_at);
CREATE INDEX meeting_series_rows ON meeting(series_id, starts_at) WHERE series_id IS NOT NULL;

-- Everyone the notice was queued for: a move or cancel reaches exactly these people.
CREATE TABLE meeting_told (
    meeting_id INTEGER NOT NULL REFERENCES meeting(id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    PRIMARY KEY (meeting_id, person_id)
) WITHOUT ROWID;

-- One answer per person per meeting, changeable. Attendance is not secret.
CREATE TABLE meeting_rsvp (
    meeting_id INTEGER NOT NULL REFERENCES meeting(id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    answer     TEXT NOT NULL CHECK (answer IN ('going','cant','maybe')),
    at         TEXT NOT NULL,
    PRIMARY KEY (meeting_id, person_id)
) WITHOUT ROWID;
CREATE INDEX meeting_rsvp_person ON meeting_rsvp(person_id, meeting_id);

-- The order of the agenda. The item's own status (on_agenda) lives in agenda_item.
CREATE TABLE meeting_agenda (
    meeting_id INTEGER NOT NULL REFERENCES meeting(id) ON DELETE CASCADE,
    item_id    INTEGER NOT NULL REFERENCES agenda_item(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, item_id)
) WITHOUT ROWID;
CREATE INDEX meeting_agenda_item ON meeting_agenda(item_id);

CREATE TABLE meeting_attendance (
    meeting_id INTEGER NOT NULL REFERENCES meeting(id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    PRIMARY KEY (meeting_id, person_id)
) WITHOUT ROWID;

-- Minutes, one decision per agenda item: the outcome, or in progress until follow_up_on.
CREATE TABLE meeting_decision (
    meeting_id   INTEGER NOT NULL REFERENCES meeting(id) ON DELETE CASCADE,
    item_id      INTEGER NOT NULL REFERENCES agenda_item(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('decided','in_progress')),
    decision     TEXT NOT NULL,
    owner        TEXT NOT NULL,
    due_on       TEXT NOT NULL,
    recorded_by  INTEGER REFERENCES person(id) ON DELETE SET NULL,
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (meeting_id, item_id)
) WITHOUT ROWID;
