-- Where a reprocess stands, committed with each of its batches, so that an
-- interrupted run resumes there; removed when a run completes.
CREATE TABLE reprocess_checkpoint (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    phase         TEXT    NOT NULL,
    after_seq     BIGINT  NOT NULL,
    after_source  TEXT    NOT NULL,
    after_id      TEXT    NOT NULL,
    events        BIGINT  NOT NULL,
    changed       BIGINT  NOT NULL,
    verifications BIGINT  NOT NULL
);
