-- Delegation grants (issue 17): the subject agent lets the actor agent act for it through RFC 8693 token exchange,
-- with at most these scopes, for at most these RFC 8707 audiences, along a chain of at most max_depth actors, until
-- expires_at (NULL: until revoked). A revoked row stays (the audit trail and GET name it); its revocation is also a
-- row of token_revocations (jti 'd:<delegation_id>'), so the Redis copy of revocations and its PostgreSQL fallback
-- cover tokens derived from it without a second lookup.
CREATE TABLE delegations (
    delegation_id    uuid        PRIMARY KEY,
    subject_agent_id uuid        NOT NULL REFERENCES agents (agent_id),
    actor_agent_id   uuid        NOT NULL REFERENCES agents (agent_id),
    scopes           text[]      NOT NULL CHECK (cardinality(scopes) BETWEEN 1 AND 100),
    audiences        text[]      NOT NULL DEFAULT '{}' CHECK (cardinality(audiences) <= 10),
    max_depth        integer     NOT NULL CHECK (max_depth BETWEEN 1 AND 10),
    expires_at       timestamptz,
    created_at       timestamptz NOT NULL,
    revoked_at       timestamptz,
    CHECK (subject_agent_id <> actor_agent_id)
);

-- The token exchange reads an actor's live delegations; GET reads an agent's given and received ones.
CREATE INDEX delegations_actor_live ON delegations (actor_agent_id) WHERE revoked_at IS NULL;
CREATE INDEX delegations_subject ON delegations (subject_agent_id);
