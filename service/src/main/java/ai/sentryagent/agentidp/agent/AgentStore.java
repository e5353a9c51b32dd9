package ai.sentryagent.agentidp.agent;

import ai.sentryagent.agentidp.audit.Audit;
import io.vertx.core.Future;
import java.util.Optional;
import java.util.UUID;

/** Where agents live. Nothing is physically deleted; every change is audited in its own transaction. */
public interface AgentStore {
    Future<Agent> create(NewAgent agent, Audit.Context context);

    Future<Optional<Agent>> find(UUID agentId);

    Future<Page<Agent>> list(AgentQuery query);

    /**
     * Applies a patch. Empty when the agent does not exist; fails with {@link AgentConflict} when it is
     * decommissioned.
     */
    Future<Optional<Agent>> update(UUID agentId, AgentPatch patch, Audit.Context context);

    /** Decommissions the agent and revokes every credential it has. Empty when it does not exist. */
    Future<Optional<Agent>> decommission(UUID agentId, Audit.Context context);

    /** Makes sure the built-in client exists, active, with the given scopes. */
    Future<Agent> ensureBuiltIn(String clientId, String name, java.util.List<String> scopes);

    /** A change the agent's state forbids, such as editing a decommissioned agent. */
    final class AgentConflict extends RuntimeException {
        public AgentConflict(String message) {
            super(message, null, false, false);
        }
    }
}
