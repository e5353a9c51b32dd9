-- Agents, their client credentials, and revoked access tokens.
-- Nothing is ever physically deleted: agents are decommissioned, credentials revoked.

CREATE TABLE agents (
    agent_id     uuid        PRIMARY KEY,
    client_id    text        NOT NULL UNIQUE,
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    description  text        CHECK (description IS NULL OR length(description) <= 1024),
    owner        text        NOT NULL CHECK (length(owner) BETWEEN 1 AND 128),
    agent_type   text        NOT NULL,
    scopes       text[]      NOT NULL DEFAULT '{}',
    status       text        NOT NULL CHECK (status IN ('active', 'suspended', 'decommissioned')),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- The listing endpoint filters by these and orders by (created_at, agent_id).
CREATE INDEX agents_listing ON agents (created_at, agent_id);
CREATE INDEX agents_owner ON agents (owner);
CREATE INDEX agents_status ON agents (status);

CREATE TABLE credentials (
    credential_id uuid        PRIMARY KEY,
    agent_id      uuid        NOT NULL REFERENCES agents (agent_id),
    -- HMAC-SHA-256 of the secret keyed by CREDENTIAL_HASH_KEY; the secret itself is never stored.
    secret_hash   bytea       NOT NULL CHECK (length(secret_hash) = 32),
    status        text        NOT NULL CHECK (status IN ('active', 'revoked')),
    label         text,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    replaced_by   uuid        REFERENCES credentials (credential_id)
);

-- The token endpoint looks up the active credentials of one client.
CREATE INDEX credentials_active ON credentials (agent_id) WHERE status = 'active';

CREATE TABLE token_revocations (
    jti        text        PRIMARY KEY,
    client_id  text        NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL
);
