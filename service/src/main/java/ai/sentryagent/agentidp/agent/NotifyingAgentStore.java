package ai.sentryagent.agentidp.agent;

import ai.sentryagent.agentidp.audit.Audit;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * An agent store that runs {@code changed} after each write, before the write's caller goes on: the token
 * endpoint's client cache must not answer from the state before a suspension or a scope change made here.
 */
public final class NotifyingAgentStore implements AgentStore {
    private final AgentStore store;
    private final Runnable changed;

    public NotifyingAgentStore(AgentStore store, Runnable changed) {
        this.store = store;
        this.changed = changed;
    }

    @Override
    public Future<Agent> create(NewAgent agent, Audit.Context context) {
        return store.create(agent, context); // a new client cannot be cached yet: unknown clients never are
    }

    @Override
    public Future<Optional<Agent>> find(UUID agentId) {
        return store.find(agentId);
    }

    @Override
    public Future<Page<Agent>> list(AgentQuery query) {
        return store.list(query);
    }

    @Override
    public Future<Optional<Agent>> update(UUID agentId, AgentPatch patch, Audit.Context context) {
        return store.update(agentId, patch, context).andThen(done -> changed.run());
    }

    @Override
    public Future<Optional<Agent>> decommission(UUID agentId, Audit.Context context) {
        return store.decommission(agentId, context).andThen(done -> changed.run());
    }

    @Override
    public Future<Optional<Instant>> revokeTokens(UUID agentId, Audit.Context context) {
        return store.revokeTokens(agentId, context).andThen(done -> changed.run());
    }

    @Override
    public Future<List<Agent>> retireBuiltIns(Optional<String> keep, Audit.Context context) {
        return store.retireBuiltIns(keep, context).andThen(done -> changed.run());
    }

    @Override
    public Future<Agent> ensureBuiltIn(String clientId, String name, List<String> scopes) {
        return store.ensureBuiltIn(clientId, name, scopes).andThen(done -> changed.run());
    }
}
