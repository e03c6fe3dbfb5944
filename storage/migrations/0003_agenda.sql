-- Agenda items: raised by members (or keyed in by staff from paper), triaged by staff and the
-- chair, supported by other members. The allowed status changes live in bot/council/agenda.py.

CREATE TABLE agenda_item (
    id            INTEGER PRIMARY KEY,
    topic         TEXT NOT NULL,
    wing          TEXT NOT NULL,
    text          TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'new'
                  CHECK (status IN ('new','needs_info','accepted','answered','declined','merged',
                                    'on_agenda','discussed','outcome_posted','closed')),
    -- Bumped on every change: a notice key and a stale-button check both use it.
    version       INTEGER NOT NULL DEFAULT 0,
    -- Kept to tell the submitter about their item; never shown to anyone when name_hidden = 1.
    submitter_id  INTEGER REFERENCES person(id) ON DELETE SET NULL,
    name_hidden   INTEGER NOT NULL DEFAULT 0 CHECK (name_hidden IN (0, 1)),
    keyed_in      INTEGER NOT NULL DEFAULT 0 CHECK (keyed_in IN (0, 1)),
    keyed_by      INTEGER REFERENCES person(id) ON DELETE SET NULL,
    keyed_reason  TEXT,
    info_question TEXT,
    info_reply    TEXT,
    -- What the member reads as the latest answer: a direct answer (the outcome) or a reason.
    answer        TEXT,
    merged_into   INTEGER REFERENCES agenda_item(id),
    -- Set by the meetings work (issue 6) when an accepted item is put on a meeting's agenda.
    meeting_id    INTEGER,
    support_count INTEGER NOT NULL DEFAULT 0 CHECK (support_count >= 0),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    published_at  TEXT
);

-- Triage: oldest new first.
CREATE INDEX agenda_queue ON agenda_item(status, created_at, id);
-- /myitems: a member's own items, newest first.
CREATE INDEX agenda_mine ON agenda_item(submitter_id, id);
-- Merge chains point at their original.
CREATE INDEX agenda_merged ON agenda_item(merged_into) WHERE merged_into IS NOT NULL;
-- Browse: items open for support, by wing or all, newest or most supported first.
-- The WHERE must match storage/agenda.py's OPEN_SQL word for word so the planner uses these.
CREATE INDEX agenda_open_wing_new ON agenda_item(wing, published_at, id)
    WHERE status IN ('accepted','on_agenda');
CREATE INDEX agenda_open_new ON agenda_item(published_at, id)
    WHERE status IN ('accepted','on_agenda');
CREATE INDEX agenda_open_wing_top ON agenda_item(wing, support_count, id)
    WHERE status IN ('accepted','on_agenda');
CREATE INDEX agenda_open_top ON agenda_item(support_count, id)
    WHERE status IN ('accepted','on_agenda');

-- One row per supporter: the primary key makes double support impossible.
CREATE TABLE agenda_support (
    item_id   INTEGER NOT NULL REFERENCES agenda_item(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    at        TEXT NOT NULL,
    PRIMARY KEY (item_id, person_id)
) WITHOUT ROWID;
CREATE INDEX agenda_support_person ON agenda_support(person_id, item_id);

-- The count that browse sorts by follows the support rows exactly, whoever writes them.
CREATE TRIGGER agenda_support_added AFTER INSERT ON agenda_support
BEGIN
    UPDATE agenda_item SET support_count = support_count + 1 WHERE id = NEW.item_id;
END;
CREATE TRIGGER agenda_support_removed AFTER DELETE ON agenda_support
BEGIN
    UPDATE agenda_item SET support_count = support_count - 1 WHERE id = OLD.item_id;
END;
