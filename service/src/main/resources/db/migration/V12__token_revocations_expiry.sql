-- Revocations stop mattering when the token (or the last token derived from a delegation) would have expired;
-- the maintenance job deletes them after that (MaintenanceVerticle), and the copy into Redis reads only the
-- unexpired ones. Both look rows up by expiry.
CREATE INDEX token_revocations_expires_at ON token_revocations (expires_at);
