package ai.sentryagent.agentidp.credential;

import ai.sentryagent.agentidp.audit.Audit;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Where client credentials live: only keyed hashes of their secrets. */
public interface CredentialStore {
    /** Stores a new credential for an agent that is not decommissioned; empty when the agent does not exist. */
    Future<Optional<Credential>> create(
            UUID agentId, byte[] secretHash, Optional<Instant> expiresAt, String label, Audit.Context context);

    Future<List<Credential>> list(UUID agentId);

    /**
     * Replaces a credential with a new secret. The old one stops working now, or when the grace period ends.
     * Empty when the agent or the active credential does not exist.
     */
    Future<Optional<Credential>> rotate(
            UUID agentId, UUID credentialId, byte[] newHash, Duration grace, Audit.Context context);

    /** Revokes a credential; true when it exists (revoking twice is fine). */
    Future<Boolean> revoke(UUID agentId, UUID credentialId, Audit.Context context);

    /**
     * Makes the built-in client's labelled credential match this hash: keeps it when it already does, otherwise
     * revokes the old one and stores the new one.
     */
    Future<Void> ensureSecret(UUID agentId, byte[] secretHash, String label);

    /** A change the agent's or credential's state forbids. */
    final class CredentialConflict extends RuntimeException {
        public CredentialConflict(String message) {
            super(message, null, false, false);
        }
    }
}
