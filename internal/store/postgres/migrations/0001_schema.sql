-- Every webhook delivery kycgate acknowledged, exactly as received, with
-- its canonical meaning.
CREATE TABLE events (
    seq             BIGSERIAL   PRIMARY KEY,
    id              TEXT        NOT NULL UNIQUE,
    source          TEXT        NOT NULL,
    provider        TEXT        NOT NULL,
    dedup_key       TEXT        NOT NULL,
    provider_event  TEXT        NOT NULL,
    verification_id TEXT        NOT NULL,
    occurred_at     TIMESTAMPTZ,
    received_at     TIMESTAMPTZ NOT NULL,
    remote_ip       TEXT        NOT NULL,
    headers         JSONB       NOT NULL,
    body            BYTEA,
    flag            TEXT        NOT NULL DEFAULT '',
    flag_detail     TEXT        NOT NULL DEFAULT '',
    type            TEXT        NOT NULL DEFAULT '',
    data            JSONB       NOT NULL DEFAULT '{}',
    UNIQUE (source, dedup_key)
);
CREATE INDEX events_by_verification ON events (source, verification_id, occurred_at);
CREATE INDEX events_by_flag ON events (flag, seq) WHERE flag != '';

CREATE TABLE verifications (
    seq              BIGSERIAL   PRIMARY KEY,
    source           TEXT        NOT NULL,
    id               TEXT        NOT NULL,
    provider         TEXT        NOT NULL,
    external_user_id TEXT        NOT NULL,
    status           TEXT        NOT NULL,
    decision         TEXT        NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    doc              JSONB       NOT NULL,
    UNIQUE (source, id)
);
CREATE INDEX verifications_by_user     ON verifications (external_user_id) WHERE external_user_id != '';
CREATE INDEX verifications_by_status   ON verifications (status, seq);
CREATE INDEX verifications_by_provider ON verifications (provider, seq);
CREATE INDEX verifications_by_updated  ON verifications (updated_at);

CREATE TABLE deliveries (
    seq             BIGSERIAL   PRIMARY KEY,
    id              TEXT        NOT NULL UNIQUE,
    destination     TEXT        NOT NULL,
    event_id        TEXT        NOT NULL,
    source          TEXT        NOT NULL,
    verification_id TEXT        NOT NULL,
    state           TEXT        NOT NULL,
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_until     TIMESTAMPTZ,
    last_status     INTEGER     NOT NULL DEFAULT 0,
    last_error      TEXT        NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX deliveries_due  ON deliveries (destination, state, next_attempt_at);
CREATE INDEX deliveries_line ON deliveries (destination, source, verification_id, seq) WHERE state = 'pending';
CREATE INDEX deliveries_by_event ON deliveries (event_id);

CREATE TABLE delivery_attempts (
    delivery_id TEXT        NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    status_code INTEGER     NOT NULL,
    latency_ms  BIGINT      NOT NULL,
    error       TEXT        NOT NULL
);
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, at);
