-- Trust policies (issue 16 §2): which external identity tokens (RFC 7523 §2.1 jwt-bearer assertions) may be
-- exchanged for a token of which agent. A policy names the issuer exactly, the audience the assertion must carry,
-- optionally an exact subject and exact claim values, and where the issuer's keys come from: inline (jwks), a
-- jwks_uri, or — both NULL — the issuer's OpenID discovery document.
--
-- Deleting a policy removes the row (the audit trail keeps what it was): a policy is a grant of trust, and a deleted
-- one must stop matching at once on every task, which a per-request lookup by issuer gives.
CREATE TABLE trust_policies (
    trust_policy_id uuid        PRIMARY KEY,
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    issuer          text        NOT NULL CHECK (length(issuer) BETWEEN 1 AND 512),
    jwks_uri        text        CHECK (jwks_uri IS NULL OR length(jwks_uri) <= 2048),
    jwks            jsonb,
    audience        text        NOT NULL CHECK (length(audience) BETWEEN 1 AND 512),
    subject         text        CHECK (subject IS NULL OR length(subject) <= 512),
    -- {"claim": "value"} or {"claim": ["allowed", "values"]}: exact matches only, never patterns.
    claims          jsonb       NOT NULL DEFAULT '{}',
    agent_id        uuid        NOT NULL REFERENCES agents (agent_id),
    scopes          text[]      NOT NULL,
    created_at      timestamptz NOT NULL,
    CHECK (jwks IS NULL OR jwks_uri IS NULL)
);

-- The jwt-bearer grant looks up the policies of one issuer on every request.
CREATE INDEX trust_policies_issuer ON trust_policies (issuer);
CREATE INDEX trust_policies_agent ON trust_policies (agent_id);
