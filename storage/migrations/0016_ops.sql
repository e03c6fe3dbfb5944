-- Operations (docs/DEPLOY.md): the health check proves the database takes writes by updating
-- this one row, from its own connection. It holds a time and nothing about anyone.
CREATE TABLE ops_heartbeat (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    beat_at TEXT NOT NULL
);
