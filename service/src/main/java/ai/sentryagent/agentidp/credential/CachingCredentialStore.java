package ai.sentryagent.agentidp.credential;

import ai.sentryagent.agentidp.audit.Audit;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** A credential store whose client lookups go through a {@link ClientCache}; its writes empty the cache. */
public final class CachingCredentialStore implements CredentialStore {
    private final CredentialStore store;
    private final ClientCache cache;

    public CachingCredentialStore(CredentialStore store, ClientCache cache) {
        this.store = store;
        this.cache = cache;
    }

    @Override
    public Future<Optional<ClientRecord>> findClient(String clientId) {
        Optional<ClientRecord> cached = cache.get(clientId);
        if (cached.isPresent() || cache.knownUnknown(clientId)) {
            return Future.succeededFuture(cached);
        }
        long generation = cache.generation();
        return store.findClient(clientId).onSuccess(found -> {
            if (found.isPresent()) {
                cache.put(clientId, found.get(), generation);
            } else {
                cache.putUnknown(clientId, generation);
            }
        });
    }

    @Override
    public Future<Optional<Credential>> create(
            UUID agentId, byte[] secretHash, Optional<Instant> expiresAt, String label, Audit.Context context) {
        return store.create(agentId, secretHash, expiresAt, label, context).andThen(done -> cache.changedAll());
    }

    @Override
    public Future<List<Credential>> list(UUID agentId) {
        return store.list(agentId);
    }

    @Override
    public Future<Optional<Credential>> rotate(
            UUID agentId, UUID credentialId, byte[] newHash, Duration grace, Audit.Context context) {
        return store.rotate(agentId, credentialId, newHash, grace, context).andThen(done -> cache.changedAll());
    }

    @Override
    public Future<Boolean> revoke(UUID agentId, UUID credentialId, Audit.Context context) {
        return store.revoke(agentId, credentialId, context).andThen(done -> cache.changedAll());
    }

    @Override
    public Future<Void> ensureSecret(UUID agentId, byte[] secretHash, String label) {
        return store.ensureSecret(agentId, secretHash, label).andThen(done -> cache.changedAll());
    }
}
