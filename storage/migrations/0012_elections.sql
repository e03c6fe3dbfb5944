-- Elections (docs/ELECTIONS.md): offices with seats, candidates with statements, a fixed register
-- of electors, sealed ranked ballots, paper ballot boxes, and the terms of those elected.
-- Ballot secrecy by construction (docs/BALLOT_SECRECY.md, "Elections"): the register says who
-- may vote and whether they did (online or on paper); the ballots say what was ranked, sealed,
-- under random keys, with no voter, no time and no order. Both change in one transaction.

CREATE TABLE election (
    id                   INTEGER PRIMARY KEY,
    status               TEXT NOT NULL DEFAULT 'nominations'
                         CHECK (status IN ('nominations','voting','closed','counted')),
    -- Members who must second a nomination before voting opens (0: none).
    seconders            INTEGER NOT NULL DEFAULT 0 CHECK (seconders BETWEEN 0 AND 5),
    nominations_close_at TEXT NOT NULL,  -- voting opens at this moment
    voting_closes_at     TEXT NOT NULL,
    created_by           INTEGER REFERENCES person(id) ON DELETE SET NULL,
    created_at           TEXT NOT NULL,
    closed_at            TEXT,
    counted_at           TEXT
);
CREATE INDEX election_status ON election(status, voting_closes_at);

-- One contest: "B wing rep", 2 seats, elected by B wing's members. STV for several seats,
-- instant runoff for one.
CREATE TABLE office (
    id          INTEGER PRIMARY KEY,
    election_id INTEGER NOT NULL REFERENCES election(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    seats       INTEGER NOT NULL CHECK (seats BETWEEN 1 AND 5),
    electorate  TEXT NOT NULL CHECK (electorate IN ('wing','members','reps')),
    wing        TEXT,
    method      TEXT NOT NULL CHECK (method IN ('irv','stv')),
    electors    INTEGER NOT NULL DEFAULT 0,
    -- Frozen at close: turnout online and on paper (the register can lose people later).
    online      INTEGER NOT NULL DEFAULT 0,
    paper       INTEGER NOT NULL DEFAULT 0,
    -- The count, written once (JSON: rounds, elected): no voter in it.
    result      TEXT,
    UNIQUE (election_id, position)
);

CREATE TABLE candidate (
    id            INTEGER PRIMARY KEY,
    office_id     INTEGER NOT NULL REFERENCES office(id) ON DELETE CASCADE,
    person_id     INTEGER REFERENCES person(id) ON DELETE SET NULL,
    -- The name on the ballot, copied at nomination so results outlive the person's data.
    name          TEXT NOT NULL,
    statement     TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'standing'
                  CHECK (status IN ('standing','withdrawn','not_seconded')),
    -- Staff asked for a change (never edit silently): the reason the candidate reads.
    change_reason TEXT,
    nominated_at  TEXT NOT NULL,
    UNIQUE (office_id, person_id)
);

CREATE TABLE candidate_seconder (
    candidate_id INTEGER NOT NULL REFERENCES candidate(id) ON DELETE CASCADE,
    person_id    INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    PRIMARY KEY (candidate_id, person_id)
) WITHOUT ROWID;

-- The register: fixed when the election is called. voted: '' (not yet), 'online' or 'paper'
-- (marked by staff from the paper register). No time column and no choice, on purpose.
CREATE TABLE election_elector (
    office_id INTEGER NOT NULL REFERENCES office(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    voted     TEXT NOT NULL DEFAULT '' CHECK (voted IN ('','online','paper')),
    PRIMARY KEY (office_id, person_id)
) WITHOUT ROWID;
CREATE INDEX election_elector_person ON election_elector(person_id, office_id);

-- Ranked ballots, online and paper alike: a random 16-byte key (WITHOUT ROWID, so rows sit in
-- random order), the ranking sealed and padded to one length. No voter, no time, no source.
CREATE TABLE election_ballot (
    office_id INTEGER NOT NULL REFERENCES office(id) ON DELETE CASCADE,
    token     BLOB NOT NULL,
    sealed    BLOB NOT NULL,
    PRIMARY KEY (office_id, token)
) WITHOUT ROWID;

-- A paper ballot box: for an office (ranked ballots keyed one by one after close) or for a poll
-- (totals per option). A second person confirms the box's ballot count before keying.
CREATE TABLE paper_box (
    id           INTEGER PRIMARY KEY,
    office_id    INTEGER REFERENCES office(id) ON DELETE CASCADE,
    poll_id      INTEGER REFERENCES poll(id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    declared     INTEGER NOT NULL CHECK (declared BETWEEN 0 AND 100000),
    keyed        INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL DEFAULT 'unconfirmed'
                 CHECK (status IN ('unconfirmed','keying','done')),
    keyed_by     INTEGER REFERENCES person(id) ON DELETE SET NULL,
    confirmed_by INTEGER REFERENCES person(id) ON DELETE SET NULL,
    -- A poll box's totals per option, sealed (an open poll's split stays unreadable in the file).
    totals       BLOB,
    CHECK ((office_id IS NULL) <> (poll_id IS NULL)),
    CHECK (keyed <= declared)
);
CREATE UNIQUE INDEX paper_box_office ON paper_box(office_id, label) WHERE office_id IS NOT NULL;
CREATE UNIQUE INDEX paper_box_poll ON paper_box(poll_id, label) WHERE poll_id IS NOT NULL;

-- Paper voters of an ordinary poll (poll_elector.voted is set too, so online is refused).
CREATE TABLE poll_paper_voter (
    poll_id   INTEGER NOT NULL REFERENCES poll(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    PRIMARY KEY (poll_id, person_id)
) WITHOUT ROWID;

-- Offices held: evidence for /myrecord, the "reps" electorate, and term reminders.
CREATE TABLE office_term (
    id         INTEGER PRIMARY KEY,
    office_id  INTEGER NOT NULL REFERENCES office(id) ON DELETE CASCADE,
    person_id  INTEGER REFERENCES person(id) ON DELETE SET NULL,
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    ended_at   TEXT,
    end_reason TEXT CHECK (end_reason IS NULL OR end_reason IN ('term','left','revoked'))
);
CREATE INDEX office_term_person ON office_term(person_id, starts_at);
CREATE INDEX office_term_current ON office_term(ended_at, ends_at);
