package ai.sentryagent.agentidp.credential;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.crypto.JwsVerifiers;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jwk.JWK;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * What the token endpoint needs to authenticate a client, and what a token check needs to know whether a token still
 * stands for the current grant, in one read: the agent's state, the hashes of its usable (active, unexpired) secrets,
 * the cut-off before which its tokens are revoked ({@code tokens_revoked_before}, migration V5), the RFC 8707
 * resource indicators its tokens may be bound to (migration V9), and its live public keys for {@code private_key_jwt}
 * (migration V7), parsed once when the record is read — so neither costs an extra round trip on the token path.
 */
public record ClientRecord(
        UUID agentId,
        String clientId,
        AgentStatus status,
        List<String> scopes,
        List<StoredSecret> secrets,
        Optional<Instant> tokensRevokedBefore,
        List<String> resources,
        List<StoredKey> keys) {

    /** One usable secret hash, and when it stops being usable (null: when revoked). */
    public record StoredSecret(UUID credentialId, byte[] hash, Instant expiresAt) {}

    /**
     * One live public key: its kid, the parsed public JWK, and its signature verifier — built once with the cached
     * record, not per assertion (turning a JWK into a Java key is a good part of a verification's cost), on the
     * fastest provider that verifies correctly here ({@link JwsVerifiers}).
     */
    public record StoredKey(String kid, JWK jwk, JWSVerifier verifier) {
        public StoredKey(String kid, JWK jwk) {
            this(kid, jwk, verifier(jwk));
        }

        private static JWSVerifier verifier(JWK jwk) {
            try {
                return JwsVerifiers.get().verifier(jwk);
            } catch (JOSEException e) {
                throw new IllegalStateException("a stored agent key has no verifier", e);
            }
        }
    }

    public ClientRecord {
        scopes = List.copyOf(scopes);
        secrets = List.copyOf(secrets);
        resources = List.copyOf(resources);
        keys = List.copyOf(keys);
    }

    /** A client without registered keys. */
    public ClientRecord(
            UUID agentId,
            String clientId,
            AgentStatus status,
            List<String> scopes,
            List<StoredSecret> secrets,
            Optional<Instant> tokensRevokedBefore) {
        this(agentId, clientId, status, scopes, secrets, tokensRevokedBefore, List.of(), List.of());
    }
}
