-- Hot paths that stay flat as data grows (issue 19).

-- Withdrawing a meeting's queued notices and cancelling its timers is a key range on these
-- (key >= prefix AND key < the next prefix), never a LIKE scan. Partial: only the rows still
-- waiting are indexed, so the range holds the subject's own rows and nothing that was done.
CREATE INDEX outbox_key_queued ON outbox(key) WHERE status = 'queued';
CREATE INDEX timer_key_pending ON timer(key) WHERE status = 'pending';

-- How many items wait in each status, kept by triggers so that the triage page's count is one
-- row, not an index range the size of the backlog. Triggers keep it exact whoever writes.
CREATE TABLE agenda_status_count (
    status TEXT PRIMARY KEY,
    n      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO agenda_status_count (status, n)
    SELECT status, COUNT(*) FROM agenda_item GROUP BY status;

CREATE TRIGGER agenda_status_count_added AFTER INSERT ON agenda_item
BEGIN
    INSERT INTO agenda_status_count (status, n) VALUES (NEW.status, 1)
        ON CONFLICT(status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER agenda_status_count_moved AFTER UPDATE OF status ON agenda_item
    WHEN OLD.status IS NOT NEW.status
BEGIN
    UPDATE agenda_status_count SET n = n - 1 WHERE status = OLD.status;
    INSERT INTO agenda_status_count (status, n) VALUES (NEW.status, 1)
        ON CONFLICT(status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER agenda_status_count_removed AFTER DELETE ON agenda_item
BEGIN
    UPDATE agenda_status_count SET n = n - 1 WHERE status = OLD.status;
END;

-- A wing meeting's audience (active members of one wing) read from the index alone, so creating,
-- moving or cancelling a meeting costs its audience, not the whole establishment's members.
CREATE INDEX person_role_wing ON person(role, status, wing, id);
