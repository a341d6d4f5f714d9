-- The metrics count verifications by provider and status on every scrape:
-- from this index (an index-only scan once vacuumed), instead of reading
-- every verification's document.
CREATE INDEX verifications_by_provider_status ON verifications (provider, status);
