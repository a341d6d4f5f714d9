-- kycgate: rebuild verifications
-- An attempt's opener that arrives late takes its place among attempts by
-- event time and takes the webhooks that happened after it, and a webhook
-- without a time applies after those sent before it (docs/state.md,
-- Order): every verification is rebuilt from its log under those rules.
-- Until one is (should the rebuild be interrupted), its replay state is
-- NULL, so that its envelopes are replayed from its log and its next event
-- rebuilds it.
UPDATE verifications SET replay_state = NULL;
-- The verifications left so: each start rebuilds them (an interrupted
-- rebuild resumes), without reading the whole table.
CREATE INDEX IF NOT EXISTS verifications_pending ON verifications (source, id) WHERE replay_state IS NULL;
