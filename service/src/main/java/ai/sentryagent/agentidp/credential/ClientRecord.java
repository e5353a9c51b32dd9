package ai.sentryagent.agentidp.credential;

import ai.sentryagent.agentidp.agent.AgentStatus;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * What the token endpoint needs to authenticate a client, in one read: the agent's state and the hashes of its
 * usable (active, unexpired) secrets.
 */
public record ClientRecord(
        UUID agentId, String clientId, AgentStatus status, List<String> scopes, List<StoredSecret> secrets) {

    /** One usable secret hash, and when it stops being usable (null: when revoked). */
    public record StoredSecret(UUID credentialId, byte[] hash, Instant expiresAt) {}

    public ClientRecord {
        scopes = List.copyOf(scopes);
        secrets = List.copyOf(secrets);
    }
}
