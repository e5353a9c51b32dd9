-- The audit trail: append-only and hash-chained. Each row stores
--   hash = SHA-256(canonical event || prev_hash)
-- and prev_hash is the previous row's hash (or the last checkpoint's, after retention pruned older rows).

CREATE TABLE audit_events (
    seq         bigserial   PRIMARY KEY,
    event_id    uuid        NOT NULL UNIQUE,
    occurred_at timestamptz NOT NULL,
    action      text        NOT NULL,
    outcome     text        NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    agent_id    uuid,
    actor       text        NOT NULL,
    client_ip   text,
    request_id  text,
    details     jsonb       NOT NULL DEFAULT '{}',
    prev_hash   bytea       NOT NULL CHECK (length(prev_hash) = 32),
    hash        bytea       NOT NULL CHECK (length(hash) = 32)
);

CREATE INDEX audit_events_newest ON audit_events (occurred_at DESC, seq DESC);
CREATE INDEX audit_events_agent ON audit_events (agent_id, seq DESC);
CREATE INDEX audit_events_action ON audit_events (action, seq DESC);

-- Where retention left off: the chain continues from last_hash.
CREATE TABLE audit_checkpoints (
    last_seq       bigint      PRIMARY KEY,
    last_hash      bytea       NOT NULL CHECK (length(last_hash) = 32),
    archived_count bigint      NOT NULL,
    created_at     timestamptz NOT NULL
);

-- Pruned events are copied here first, unchanged, so the full chain can still be verified offline.
CREATE TABLE audit_archive (LIKE audit_events);

CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Retention may delete rows already archived behind a checkpoint, and only inside its own transaction.
    IF TG_OP = 'DELETE'
       AND current_setting('agentidp.audit_prune', true) = 'on'
       AND OLD.seq <= (SELECT coalesce(max(last_seq), 0) FROM audit_checkpoints) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END;
$$;

CREATE TRIGGER audit_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
