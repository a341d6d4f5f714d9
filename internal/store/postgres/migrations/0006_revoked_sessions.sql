-- Dashboard sessions ended by logging out, until they would have expired
-- anyway; every instance sharing the store refuses them.
CREATE TABLE revoked_sessions (
    id    TEXT        PRIMARY KEY,
    until TIMESTAMPTZ NOT NULL
);
