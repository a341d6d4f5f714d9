-- One row that readiness checks rewrite, so that "ready" means a commit
-- can succeed now: the write lock is free and the disk takes a write.
CREATE TABLE probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL
);
