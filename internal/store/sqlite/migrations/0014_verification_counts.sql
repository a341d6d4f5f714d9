-- The metrics and the dashboard count verifications by provider and status.
-- An index of (provider, status) answered that, but each status change
-- moved the verification's entry to another place of it: a page of its own
-- written per event. Counters kept by the same transaction, on a few hot
-- pages, answer it instead.
CREATE TABLE verification_counts (
    provider TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (provider, status)
) WITHOUT ROWID;

INSERT INTO verification_counts (provider, status, n)
    SELECT provider, status, count(*) FROM verifications GROUP BY provider, status;

CREATE TRIGGER verifications_counted_insert AFTER INSERT ON verifications BEGIN
    INSERT INTO verification_counts (provider, status, n) VALUES (NEW.provider, NEW.status, 1)
        ON CONFLICT (provider, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER verifications_counted_update AFTER UPDATE OF provider, status ON verifications
    WHEN OLD.provider != NEW.provider OR OLD.status != NEW.status BEGIN
    UPDATE verification_counts SET n = n - 1 WHERE provider = OLD.provider AND status = OLD.status;
    INSERT INTO verification_counts (provider, status, n) VALUES (NEW.provider, NEW.status, 1)
        ON CONFLICT (provider, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER verifications_counted_delete AFTER DELETE ON verifications BEGIN
    UPDATE verification_counts SET n = n - 1 WHERE provider = OLD.provider AND status = OLD.status;
END;

DROP INDEX verifications_by_provider_status;
