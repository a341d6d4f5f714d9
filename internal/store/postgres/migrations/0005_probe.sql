-- One row that readiness checks rewrite, so that "ready" means a commit
-- can succeed now: the events table can be written and the database
-- takes a write.
CREATE TABLE probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TIMESTAMPTZ NOT NULL
);
