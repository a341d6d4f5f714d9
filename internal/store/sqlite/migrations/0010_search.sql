-- Search by the start of a verification id or an external user id: a range
-- on each column, served by an index of each (SQLite compares text bytewise).
-- The index of user ids now covers every row, so that a range can use it.
DROP INDEX verifications_by_user;
CREATE INDEX verifications_by_user ON verifications (external_user_id);
CREATE INDEX verifications_by_id   ON verifications (id);
