-- Search by the start of a verification id or an external user id: a range
-- on each column in bytewise order (COLLATE "C", whatever the database's
-- collation), served by an index in that order.
CREATE INDEX verifications_by_user_prefix ON verifications (external_user_id COLLATE "C");
CREATE INDEX verifications_by_id_prefix   ON verifications (id COLLATE "C");
