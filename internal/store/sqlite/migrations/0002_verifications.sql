-- The canonical meaning of each event, and each verification's state.
ALTER TABLE events ADD COLUMN type TEXT NOT NULL DEFAULT '';   -- canonical type; '' when unparseable
ALTER TABLE events ADD COLUMN data TEXT NOT NULL DEFAULT '{}'; -- kycgate.Change as JSON

CREATE INDEX events_by_flag ON events (flag, seq) WHERE flag != '';

-- A verification's state, rebuilt from its events in the transaction that
-- stores each new event. seq only grows, so pages are stable.
CREATE TABLE verifications (
    seq              INTEGER PRIMARY KEY,
    source           TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    provider         TEXT    NOT NULL,
    external_user_id TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    decision         TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,  -- Unix microseconds
    updated_at       INTEGER NOT NULL,
    doc              TEXT    NOT NULL,  -- kycgate.Verification as JSON
    UNIQUE (source, id)
);

CREATE INDEX verifications_by_user     ON verifications (external_user_id) WHERE external_user_id != '';
CREATE INDEX verifications_by_status   ON verifications (status, seq);
CREATE INDEX verifications_by_provider ON verifications (provider, seq);
CREATE INDEX verifications_by_updated  ON verifications (updated_at);
