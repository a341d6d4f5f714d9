-- kycgate: rebuild verifications
-- Each verification's funnel facts, so that analytics are counted by the
-- database. Existing verifications are rebuilt from their logs to fill them.
ALTER TABLE verifications ADD COLUMN flow        TEXT    NOT NULL DEFAULT '';
ALTER TABLE verifications ADD COLUMN tracker     TEXT    NOT NULL DEFAULT '';
ALTER TABLE verifications ADD COLUMN stage       INTEGER NOT NULL DEFAULT 0;  -- kycgate.Stage rank: 0 created .. 3 decided
ALTER TABLE verifications ADD COLUMN drop_off    TEXT    NOT NULL DEFAULT '';
ALTER TABLE verifications ADD COLUMN decision_us BIGINT;                      -- microseconds from creation to the first decision

CREATE INDEX verifications_by_created ON verifications (created_at);
