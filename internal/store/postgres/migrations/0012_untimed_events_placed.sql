-- kycgate: rebuild verifications
-- A webhook without a time that neither decides nor opens an attempt no
-- longer hands its verification's log to arrival order (docs/state.md,
-- Order): every verification is rebuilt from its log under that rule. Until
-- one is (should the rebuild be interrupted), its replay state is NULL, so
-- that its envelopes are replayed from its log and its next event rebuilds
-- it.
UPDATE verifications SET replay_state = NULL;
