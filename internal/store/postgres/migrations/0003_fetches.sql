-- Fetching each verification's document from its provider's API: at most
-- one job per verification; a new request supersedes the previous one.
CREATE TABLE fetches (
    source          TEXT        NOT NULL,
    verification_id TEXT        NOT NULL,
    provider        TEXT        NOT NULL,
    state           TEXT        NOT NULL,
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_until     TIMESTAMPTZ,
    last_status     INTEGER     NOT NULL DEFAULT 0,
    last_error      TEXT        NOT NULL DEFAULT '',
    requested_at    TIMESTAMPTZ NOT NULL,
    fetched_at      TIMESTAMPTZ,
    event_id        TEXT        NOT NULL DEFAULT '',
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, verification_id)
);
CREATE INDEX fetches_due ON fetches (source, state, next_attempt_at);
