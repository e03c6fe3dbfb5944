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
