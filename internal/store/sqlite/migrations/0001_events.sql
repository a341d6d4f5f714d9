-- Every webhook delivery kycgate acknowledged, exactly as received.
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,          -- evt_<ULID>
    source          TEXT    NOT NULL,
    provider        TEXT    NOT NULL,
    dedup_key       TEXT    NOT NULL,
    provider_event  TEXT    NOT NULL,
    verification_id TEXT    NOT NULL,
    occurred_at     INTEGER,                          -- provider time, Unix microseconds; NULL when the provider sends none
    received_at     INTEGER NOT NULL,                 -- Unix microseconds
    remote_ip       TEXT    NOT NULL,
    headers         TEXT    NOT NULL,                 -- JSON object of the headers worth keeping
    body            BLOB,                             -- the raw body; NULL once purged
    flag            TEXT    NOT NULL DEFAULT '',      -- '', 'unparseable' or 'unknown_event'
    flag_detail     TEXT    NOT NULL DEFAULT '',
    UNIQUE (source, dedup_key)                        -- a retried delivery is stored once
);

CREATE INDEX events_by_verification ON events (source, verification_id, occurred_at);
