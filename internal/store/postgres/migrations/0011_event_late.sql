-- kycgate: rebuild verifications
-- Whether each event arrived after events that apply after it, so that a
-- destination's envelope says so without replaying the verification's log:
-- set when the event is stored, and again whenever its verification is
-- rebuilt. Filled by rebuilding every verification from its log; until a
-- verification is (should the rebuild be interrupted), its replay state is
-- NULL, so that its envelopes are replayed from its log and its next event
-- rebuilds it.
ALTER TABLE events ADD COLUMN late BOOLEAN NOT NULL DEFAULT false;
UPDATE verifications SET replay_state = NULL;
