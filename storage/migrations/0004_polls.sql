-- Secret polls. Ballot secrecy by construction (see docs/BALLOT_SECRECY.md):
-- who may vote and whether they did (poll_elector) and what was chosen (poll_option.votes) are
-- stored apart, with no time, no order and no row per ballot. Both change in one transaction.

CREATE TABLE poll (
    id           INTEGER PRIMARY KEY,
    question     TEXT NOT NULL,
    multiple     INTEGER NOT NULL DEFAULT 0 CHECK (multiple IN (0, 1)),
    audience     TEXT NOT NULL CHECK (audience IN ('members', 'families', 'both')),
    wing         TEXT,
    created_by   INTEGER REFERENCES person(id) ON DELETE SET NULL,
    opened_at    TEXT NOT NULL,
    closes_at    TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at    TEXT,
    closed_early INTEGER NOT NULL DEFAULT 0,
    -- Fixed when the poll opens: people who join later get no vote in it.
    electorate   INTEGER NOT NULL DEFAULT 0,
    -- Ballots cast (turnout), written at close; while open it is counted from poll_elector.
    ballots      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX poll_status ON poll(status, closes_at);

-- One row per option with its running count. WITHOUT ROWID: rows sit in key order, so nothing
-- in the file records the order in which counts changed.
CREATE TABLE poll_option (
    poll_id      INTEGER NOT NULL REFERENCES poll(id) ON DELETE CASCADE,
    option_index INTEGER NOT NULL CHECK (option_index BETWEEN 0 AND 9),
    label        TEXT NOT NULL,
    votes        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (poll_id, option_index)
) WITHOUT ROWID;

-- Who may vote and whether they have. No time column and no choice, on purpose.
CREATE TABLE poll_elector (
    poll_id   INTEGER NOT NULL REFERENCES poll(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    voted     INTEGER NOT NULL DEFAULT 0 CHECK (voted IN (0, 1)),
    PRIMARY KEY (poll_id, person_id)
) WITHOUT ROWID;
CREATE INDEX poll_elector_person ON poll_elector(person_id, poll_id);
