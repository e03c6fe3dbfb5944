-- Personal data (docs/PRIVACY.md): what a leaver or the retention sweep deletes leaves counts
-- behind, so the support shown on browse and the attendance in old reports stay exact.

-- When a person's details were deleted (they left, or the retention sweep forgot them).
ALTER TABLE person ADD COLUMN forgotten_at TEXT;
CREATE INDEX person_ended ON person(status, updated_at) WHERE forgotten_at IS NULL;

-- Supports by people whose details are deleted: their rows go, the count stays.
-- support_count = support rows + anonymous_supports.
ALTER TABLE agenda_item ADD COLUMN anonymous_supports INTEGER NOT NULL DEFAULT 0
    CHECK (anonymous_supports >= 0);

-- "Going" answers and attendance whose rows were deleted, kept as counts for the reports.
ALTER TABLE meeting ADD COLUMN going_kept INTEGER NOT NULL DEFAULT 0 CHECK (going_kept >= 0);
ALTER TABLE meeting ADD COLUMN attended_kept INTEGER NOT NULL DEFAULT 0
    CHECK (attended_kept >= 0);

-- The sweep finds finished notices and old invites by time.
CREATE INDEX outbox_done ON outbox(done_at) WHERE status IN ('sent','parked','dropped','withdrawn');
