-- Outcomes ("you said, we did"): every version of an item's outcome is kept; exactly one per
-- item is the latest, and that is the one shown. Follow-ups are timer rows (0001) whose checksum
-- names the outcome version, so a newer version makes the old chase stale.

CREATE TABLE outcome (
    id           INTEGER PRIMARY KEY,
    item_id      INTEGER NOT NULL REFERENCES agenda_item(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL CHECK (version >= 1),
    latest       INTEGER NOT NULL DEFAULT 1 CHECK (latest IN (0, 1)),
    kind         TEXT NOT NULL
                 CHECK (kind IN ('resolved','partly_resolved','not_possible','in_progress')),
    text         TEXT NOT NULL,
    reason       TEXT,
    -- An in-progress outcome's owner: a staff person, or a name typed by staff (or both unset).
    owner_id     INTEGER REFERENCES person(id) ON DELETE SET NULL,
    owner_name   TEXT,
    follow_up_on TEXT,
    -- Copied from the item (which never changes them) so the board and reports need no join.
    topic        TEXT NOT NULL,
    wing         TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('triage','minutes','command')),
    meeting_id   INTEGER,
    posted_by    INTEGER REFERENCES person(id) ON DELETE SET NULL,
    posted_at    TEXT NOT NULL,
    UNIQUE (item_id, version),
    CHECK (kind <> 'not_possible' OR (reason IS NOT NULL AND reason <> '')),
    CHECK (kind <> 'in_progress'
           OR (follow_up_on IS NOT NULL AND (owner_id IS NOT NULL OR owner_name IS NOT NULL)))
);
-- At most one latest version per item, whatever the code does.
CREATE UNIQUE INDEX outcome_latest_one ON outcome(item_id) WHERE latest = 1;
-- The board: latest outcomes, newest first, for all wings or one.
CREATE INDEX outcome_board ON outcome(posted_at, id) WHERE latest = 1;
CREATE INDEX outcome_board_wing ON outcome(wing, posted_at, id) WHERE latest = 1;
-- Reports: versions posted in a month.
CREATE INDEX outcome_month ON outcome(posted_at, kind);

-- Reports read other parts' tables by month: these indexes keep a month's report off full scans.
CREATE INDEX agenda_created ON agenda_item(created_at);
CREATE INDEX agenda_published ON agenda_item(published_at) WHERE published_at IS NOT NULL;
CREATE INDEX poll_closed ON poll(closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX consultation_closed ON consultation(closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX consultation_participant_done ON consultation_participant(consultation_id, grp)
    WHERE submitted_at IS NOT NULL;
CREATE INDEX meeting_attendance_person ON meeting_attendance(person_id, meeting_id);
-- /myrecord: one person's consultations, without scanning everyone's.
CREATE INDEX consultation_taker_person ON consultation_taker(person_id);
CREATE INDEX consultation_participant_person ON consultation_participant(person_id)
    WHERE person_id IS NOT NULL;
