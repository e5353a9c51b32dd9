package ai.sentryagent.agentidp.credential;

import ai.sentryagent.agentidp.audit.Audit;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Where agents' public keys for {@code private_key_jwt} live. */
public interface AgentKeyStore {
    /**
     * Stores a key for an agent that is not decommissioned, with its audit event in the same transaction; empty when
     * the agent does not exist. A live key with the same kid is a {@link CredentialStore.CredentialConflict}.
     */
    Future<Optional<AgentKey>> create(UUID agentId, PublicJwk key, Audit.Context context);

    /** The agent's live keys, oldest first. */
    Future<List<AgentKey>> list(UUID agentId);

    /** Deletes a live key, with its audit event; false when there is none with that kid. */
    Future<Boolean> delete(UUID agentId, String kid, Audit.Context context);
}
