package ai.sentryagent.agentidp.agent;

import ai.sentryagent.agentidp.audit.Audit;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Where agents live. Nothing is physically deleted; every change is audited in its own transaction. */
public interface AgentStore {
    Future<Agent> create(NewAgent agent, Audit.Context context);

    Future<Optional<Agent>> find(UUID agentId);

    Future<Page<Agent>> list(AgentQuery query);

    /**
     * Applies a patch. Empty when the agent does not exist; fails with {@link AgentConflict} when it is
     * decommissioned. Suspending the agent also cuts off its tokens ({@link #revokeTokens}), so reactivating it
     * does not bring them back.
     */
    Future<Optional<Agent>> update(UUID agentId, AgentPatch patch, Audit.Context context);

    /** Decommissions the agent and revokes every credential it has. Empty when it does not exist. */
    Future<Optional<Agent>> decommission(UUID agentId, Audit.Context context);

    /**
     * Revokes every access token issued to the agent until now (F-03): tokens with an {@code iat} before the
     * returned cut-off are inactive everywhere. Audited as {@code agent.tokens_revoked}. Empty when the agent does
     * not exist; fails with {@link AgentConflict} when it is decommissioned (nothing left to cut off).
     */
    Future<Optional<Instant>> revokeTokens(UUID agentId, Audit.Context context);

    /**
     * Retires every built-in client except {@code keep} (F-19): suspends it, revokes its credentials and cuts off
     * its tokens, audited as {@code agent.retired}. Returns the clients retired now; ones already retired are left
     * alone, so a restart changes nothing.
     */
    Future<List<Agent>> retireBuiltIns(Optional<String> keep, Audit.Context context);

    /** Makes sure the built-in client exists, active, with the given scopes. */
    Future<Agent> ensureBuiltIn(String clientId, String name, List<String> scopes);

    /** A change the agent's state forbids, such as editing a decommissioned agent. */
    final class AgentConflict extends RuntimeException {
        public AgentConflict(String message) {
            super(message, null, false, false);
        }
    }
}
