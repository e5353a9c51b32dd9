-- Public keys agents register for private_key_jwt client authentication (RFC 7523 §2.2, issue 16 §1).
-- Only public JWKs are stored (the service refuses private members and symmetric keys). A deleted key keeps its row
-- with deleted_at set, like a revoked credential: the audit trail can still name it, and its kid may be registered
-- again.

CREATE TABLE agent_keys (
    key_id     uuid        PRIMARY KEY,
    agent_id   uuid        NOT NULL REFERENCES agents (agent_id),
    -- The JWK's kid, else its RFC 7638 thumbprint (base64url SHA-256).
    kid        text        NOT NULL CHECK (length(kid) BETWEEN 1 AND 128),
    alg        text        NOT NULL CHECK (alg IN ('RS256', 'PS256', 'ES256')),
    jwk        text        NOT NULL CHECK (length(jwk) <= 8192),
    created_at timestamptz NOT NULL,
    deleted_at timestamptz
);

-- One live key per kid and agent; the client lookup reads the live keys of one agent.
CREATE UNIQUE INDEX agent_keys_live ON agent_keys (agent_id, kid) WHERE deleted_at IS NULL;

-- Key changes notify like credential changes (V3): every task drops the client from its cache, so a deleted key
-- stops working on every task at once.
CREATE TRIGGER agent_keys_client_changed AFTER INSERT OR UPDATE OR DELETE ON agent_keys
    FOR EACH ROW EXECUTE FUNCTION agentidp_notify_client_changed();
CREATE TRIGGER agent_keys_truncated AFTER TRUNCATE ON agent_keys
    FOR EACH STATEMENT EXECUTE FUNCTION agentidp_notify_client_changed();
