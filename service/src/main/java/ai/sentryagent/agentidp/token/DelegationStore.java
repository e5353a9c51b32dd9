package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.audit.Audit;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Delegation grants; every write commits with its audit event. */
public interface DelegationStore {
    Future<Delegation> create(Delegation.New delegation, Audit.Context context);

    /** The delegations an agent gave (it is the subject) and received (it is the actor), newest first. */
    Future<List<Delegation>> list(UUID agentId);

    /** The live delegations an agent received, oldest first: what it may use in a token exchange. */
    Future<List<Delegation>> liveReceivedBy(UUID actorAgentId);

    /**
     * Revokes one of the subject's delegations and puts the revocation in force on every task before answering;
     * empty when the subject has no such delegation. Revoking again answers the revoked delegation (idempotent).
     * Fails with {@link RevocationStore.NotPropagated} when the revocation is recorded but not yet in force.
     */
    Future<Optional<Delegation>> revoke(UUID subjectAgentId, UUID delegationId, Audit.Context context);
}
