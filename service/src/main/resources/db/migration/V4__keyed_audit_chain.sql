-- F-12: the chain is keyed from here on. Rows written before this migration keep chain = 1
--   hash = SHA-256(canonical event || prev_hash)
-- and every row written after it has chain = 2
--   hash = HMAC-SHA-256(AUDIT_CHAIN_KEY, 'agentidp audit event v2\n' || prev_hash || canonical event)
-- The first keyed row's prev_hash is the last unkeyed hash, so its HMAC anchors the older rows too.
-- The key is not in the database: a writer without it cannot recompute a chain that verifies.

ALTER TABLE audit_events ADD COLUMN chain smallint NOT NULL DEFAULT 1;
ALTER TABLE audit_events ALTER COLUMN chain SET DEFAULT 2;
-- NOT VALID: the rows already here stay version 1; every row inserted or updated from now on must be keyed.
ALTER TABLE audit_events ADD CONSTRAINT audit_events_keyed CHECK (chain = 2) NOT VALID;

ALTER TABLE audit_archive ADD COLUMN chain smallint NOT NULL DEFAULT 1;
ALTER TABLE audit_archive ALTER COLUMN chain SET DEFAULT 2;
CREATE INDEX audit_archive_seq ON audit_archive (seq);

-- Checkpoints carry HMAC-SHA-256(AUDIT_CHAIN_KEY, 'agentidp audit checkpoint v2\n' || last_seq || '\n' ||
-- hex(last_hash) || '\n' || archived_count). The ones retention wrote before this migration have none: they are
-- marked legacy here, once, and no later insert may claim to be legacy.
ALTER TABLE audit_checkpoints ADD COLUMN mac bytea CHECK (mac IS NULL OR length(mac) = 32);
ALTER TABLE audit_checkpoints ADD COLUMN legacy boolean NOT NULL DEFAULT false;
UPDATE audit_checkpoints SET legacy = true;

CREATE FUNCTION audit_checkpoints_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.mac IS NOT NULL AND NOT NEW.legacy THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_checkpoints: % refused (checkpoints are written by retention only, with their MAC)', TG_OP;
END;
$$;

CREATE TRIGGER audit_checkpoints_guard
    BEFORE INSERT OR UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_guard();

CREATE TRIGGER audit_checkpoints_no_truncate
    BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_guard();

-- Retention may delete only rows it has archived unchanged and put behind a checkpoint. The database cannot check
-- the checkpoint's MAC (it does not hold the key), so it checks that nothing is lost: the archive holds each
-- deleted row with the same hash, and the archive itself is append-only.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('agentidp.audit_prune', true) = 'on'
       AND OLD.seq <= (SELECT coalesce(max(last_seq), 0) FROM audit_checkpoints)
       AND EXISTS (SELECT 1 FROM audit_archive a WHERE a.seq = OLD.seq AND a.hash = OLD.hash) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END;
$$;

CREATE FUNCTION audit_archive_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_archive is append-only: % refused', TG_OP;
END;
$$;

CREATE TRIGGER audit_archive_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_archive
    FOR EACH ROW EXECUTE FUNCTION audit_archive_append_only();

CREATE TRIGGER audit_archive_no_truncate
    BEFORE TRUNCATE ON audit_archive
    FOR EACH STATEMENT EXECUTE FUNCTION audit_archive_append_only();
