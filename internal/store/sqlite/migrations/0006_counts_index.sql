-- The metrics count verifications by provider and status on every scrape:
-- from this index alone, instead of reading every verification's document
-- (one second for 500,000 verifications; 30 ms with it).
CREATE INDEX verifications_by_provider_status ON verifications (provider, status);
