-- kycgate: rebuild verifications
-- Two funnel facts, filled by rebuilding every verification from its log:
-- drop_off is a code (a failed or cancelled step is "liveness.cancelled";
-- it was "liveness cancelled"), and decision_clock says what the time to
-- decision is measured on (event, sent, or none, when there is no provider
-- time to measure it: those are left out of the percentiles).
ALTER TABLE verifications ADD COLUMN decision_clock TEXT NOT NULL DEFAULT '';
