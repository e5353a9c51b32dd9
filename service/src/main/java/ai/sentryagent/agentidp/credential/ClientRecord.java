package ai.sentryagent.agentidp.credential;

import ai.sentryagent.agentidp.agent.AgentStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * What the token endpoint needs to authenticate a client, and what a token check needs to know whether a token still
 * stands for the current grant, in one read: the agent's state, the hashes of its usable (active, unexpired) secrets,
 * the cut-off before which its tokens are revoked ({@code tokens_revoked_before}, migration V5), and the RFC 8707
 * resource indicators its tokens may be bound to (migration V9) — so a token request with {@code resource} costs no
 * extra round trip.
 */
public record ClientRecord(
        UUID agentId,
        String clientId,
        AgentStatus status,
        List<String> scopes,
        List<StoredSecret> secrets,
        Optional<Instant> tokensRevokedBefore,
        List<String> resources) {

    /** One usable secret hash, and when it stops being usable (null: when revoked). */
    public record StoredSecret(UUID credentialId, byte[] hash, Instant expiresAt) {}

    public ClientRecord {
        scopes = List.copyOf(scopes);
        secrets = List.copyOf(secrets);
        resources = List.copyOf(resources);
    }
}
