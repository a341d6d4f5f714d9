-- The outbox: one row per event and destination, written in the transaction
-- that stores the event. seq orders the deliveries of a verification.
CREATE TABLE deliveries (
    seq             INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,   -- dlv_<ULID>
    destination     TEXT    NOT NULL,
    event_id        TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    verification_id TEXT    NOT NULL,
    state           TEXT    NOT NULL,          -- pending, delivered, dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,          -- Unix microseconds
    lease_until     INTEGER,                   -- claimed by a worker until then
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Due deliveries of a destination, and the line of each verification.
CREATE INDEX deliveries_due  ON deliveries (destination, state, next_attempt_at);
CREATE INDEX deliveries_line ON deliveries (destination, source, verification_id, seq) WHERE state = 'pending';
CREATE INDEX deliveries_by_event ON deliveries (event_id);

CREATE TABLE delivery_attempts (
    delivery_id TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    latency_ms  INTEGER NOT NULL,
    error       TEXT    NOT NULL
);

CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, at);
