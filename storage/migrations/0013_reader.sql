-- What the reader meets (issue 17): words that arrive after their moment are kept, not lost.

-- A member's answer that came after staff had moved the item on, kept for staff beside the item.
CREATE TABLE agenda_note (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES agenda_item(id) ON DELETE CASCADE,
    author_id  INTEGER REFERENCES person(id) ON DELETE SET NULL,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX agenda_note_item ON agenda_note(item_id, id);

-- Words staff write for others, in each content language (config establishment.content_languages).
-- The owning row keeps the first language's words; the others are here, by kind and field.
CREATE TABLE content_text (
    kind   TEXT NOT NULL,     -- announcement, meeting, outcome, poll ...
    ref_id INTEGER NOT NULL,
    field  TEXT NOT NULL,     -- title, place, text, option:0 ...
    lang   TEXT NOT NULL,
    text   TEXT NOT NULL,
    PRIMARY KEY (kind, ref_id, field, lang)
) WITHOUT ROWID;

-- While staff write: the other languages' words typed so far, kept with the person until the
-- wizard publishes (then moved to content_text) or starts again.
CREATE TABLE content_draft (
    person_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    field     TEXT NOT NULL,
    lang      TEXT NOT NULL,
    text      TEXT NOT NULL,
    PRIMARY KEY (person_id, field, lang)
) WITHOUT ROWID;

-- A translation the bot is waiting for: the next typed words are it, if the person is still at
-- the same step of the same flow. next_reply holds what the wizard would have said next.
CREATE TABLE content_pending (
    person_id    INTEGER PRIMARY KEY REFERENCES person(id) ON DELETE CASCADE,
    flow         TEXT NOT NULL,
    step         TEXT NOT NULL,
    field        TEXT NOT NULL,
    lang         TEXT NOT NULL,
    primary_text TEXT NOT NULL,
    next_reply   TEXT NOT NULL
);
