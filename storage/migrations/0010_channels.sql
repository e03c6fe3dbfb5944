-- Channels: a person is no longer a Telegram user id. Each person has one or more identities
-- (a channel's name and the user id on that channel), stored apart from the person. Every
-- Telegram user id already held becomes an identity on the channel named 'telegram', in place.
-- person.tg_user_id stays as a mirror of the 'telegram' identity for code written before this.

CREATE TABLE identity (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    user_id     INTEGER NOT NULL,
    -- 1 when this identity blocked the bot (403); person.unreachable is 1 when all of them did.
    unreachable INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    UNIQUE (channel, user_id)
);
CREATE INDEX identity_person ON identity(person_id);

INSERT INTO identity (person_id, channel, user_id, unreachable, created_at)
    SELECT id, 'telegram', tg_user_id, unreachable, joined_at FROM person
    WHERE tg_user_id IS NOT NULL;

-- Where notices go: the channel the person chose, else the one they used last.
ALTER TABLE person ADD COLUMN last_channel TEXT;
ALTER TABLE person ADD COLUMN chosen_channel TEXT;
UPDATE person SET last_channel = 'telegram' WHERE tg_user_id IS NOT NULL;

-- Each notice names the channel it goes out on; chat_id is the id on that channel.
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
DROP INDEX outbox_chat;
CREATE INDEX outbox_chat ON outbox(channel, chat_id, status);
CREATE INDEX outbox_channel_due ON outbox(channel, status, not_before);

-- An invite names the channel it may be used on (NULL: any). A link code (person_id set) gives
-- an existing person one more identity instead of making a new person.
ALTER TABLE invite ADD COLUMN channel TEXT;
ALTER TABLE invite ADD COLUMN person_id INTEGER REFERENCES person(id) ON DELETE CASCADE;

-- Wrong codes and lockouts count per identity: the same number on two channels is two people.
-- The column keeps its old name, tg_user_id, for code written before channels: it is the user id
-- on `channel`.
CREATE TABLE code_attempt_by_channel (
    channel    TEXT NOT NULL DEFAULT 'telegram',
    tg_user_id INTEGER NOT NULL,
    at         TEXT NOT NULL
);
INSERT INTO code_attempt_by_channel (channel, tg_user_id, at)
    SELECT 'telegram', tg_user_id, at FROM code_attempt;
DROP TABLE code_attempt;
ALTER TABLE code_attempt_by_channel RENAME TO code_attempt;
CREATE INDEX code_attempt_user ON code_attempt(channel, tg_user_id, at);

CREATE TABLE lockout_by_channel (
    channel    TEXT NOT NULL DEFAULT 'telegram',
    tg_user_id INTEGER NOT NULL,
    until      TEXT NOT NULL,
    PRIMARY KEY (channel, tg_user_id)
);
INSERT INTO lockout_by_channel (channel, tg_user_id, until)
    SELECT 'telegram', tg_user_id, until FROM lockout;
DROP TABLE lockout;
ALTER TABLE lockout_by_channel RENAME TO lockout;

-- Code that writes person.tg_user_id directly (written before channels, or a bulk import) still
-- gives the person their Telegram identity, and clearing it takes that identity away.
CREATE TRIGGER person_tg_identity_insert AFTER INSERT ON person
WHEN NEW.tg_user_id IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO identity (person_id, channel, user_id, unreachable, created_at)
    VALUES (NEW.id, 'telegram', NEW.tg_user_id, NEW.unreachable, NEW.joined_at);
    UPDATE person SET last_channel = 'telegram' WHERE id = NEW.id AND last_channel IS NULL;
END;
CREATE TRIGGER person_tg_identity_update AFTER UPDATE OF tg_user_id ON person
WHEN NEW.tg_user_id IS NOT OLD.tg_user_id
BEGIN
    DELETE FROM identity
    WHERE person_id = NEW.id AND channel = 'telegram' AND user_id = OLD.tg_user_id;
    INSERT OR IGNORE INTO identity (person_id, channel, user_id, created_at)
    SELECT NEW.id, 'telegram', NEW.tg_user_id, NEW.updated_at WHERE NEW.tg_user_id IS NOT NULL;
END;
