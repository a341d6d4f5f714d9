-- Fetching each verification's document from its provider's API: at most
-- one job per verification; a new request supersedes the previous one.
CREATE TABLE fetches (
    source          TEXT    NOT NULL,
    verification_id TEXT    NOT NULL,
    provider        TEXT    NOT NULL,
    state           TEXT    NOT NULL,           -- pending, done, failed
    attempts        INTEGER NOT NULL DEFAULT 0, -- since last requested
    next_attempt_at INTEGER NOT NULL,           -- Unix microseconds
    lease_until     INTEGER,                    -- claimed by a worker until then
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    requested_at    INTEGER NOT NULL,
    fetched_at      INTEGER,                    -- the last success
    event_id        TEXT    NOT NULL DEFAULT '',-- its verification.enriched event
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (source, verification_id)
);

CREATE INDEX fetches_due ON fetches (source, state, next_attempt_at);
