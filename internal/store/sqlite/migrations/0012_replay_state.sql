-- What applying a verification's log left besides the verification
-- (kycgate.ReplayState, as JSON): with it, events that sort after all of
-- the log are applied without reading the log again. NULL until the next
-- event rebuilds the verification from its log.
ALTER TABLE verifications ADD COLUMN replay_state TEXT;
