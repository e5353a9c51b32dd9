package ai.sentryagent.agentidp.credential;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.audit.Audit;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * F-08: unknown client ids answered about 145 µs slower than known ones with a wrong secret (medians over 2,500
 * tries), because only known clients were cached — every guess at an unknown id was a PostgreSQL round trip. The
 * mechanism is tested, not the timing: after the first lookup, neither costs a database query, and the unknown id
 * is forgotten as soon as a change to it is notified (the agents trigger notifies an insert with its new client id).
 */
class UnknownClientLookupTest {
    private final ClientCache cache = new ClientCache(Clock.systemUTC(), Duration.ofSeconds(30), 100);
    private final CountingStore database = new CountingStore();
    private final CachingCredentialStore store = new CachingCredentialStore(database, cache);

    @Test
    void anUnknownIdCostsNoMoreDatabaseQueriesThanAKnownOneUntilAChangeToItIsNotified() {
        cache.live(true);
        database.clients.put("known", client("known"));
        for (int i = 0; i < 5; i++) {
            assertThat(store.findClient("known").result()).isPresent();
            assertThat(store.findClient("new-agent").result()).isEmpty();
        }
        assertThat(database.lookups).containsExactly("known", "new-agent");

        // The agent is registered: the INSERT's notification makes the next lookup go to the database.
        database.clients.put("new-agent", client("new-agent"));
        cache.changed("new-agent");
        assertThat(store.findClient("new-agent").result()).isPresent();
        // A write by this task forgets every unknown id at once.
        assertThat(store.findClient("other").result()).isEmpty();
        database.clients.put("other", client("other"));
        cache.changedAll();
        assertThat(store.findClient("other").result()).isPresent();
        // Without notifications nothing is remembered.
        cache.live(false);
        database.lookups.clear();
        store.findClient("gone");
        store.findClient("gone");
        assertThat(database.lookups).containsExactly("gone", "gone");
    }

    @Test
    void sprayedUnknownIdsAreRememberedWithoutEvictingKnownClients() {
        cache.live(true);
        database.clients.put("known", client("known"));
        store.findClient("known");
        for (int i = 0; i < 1_000; i++) {
            store.findClient("sprayed-" + i); // a guesser's ids: 10x the cache's size
        }
        database.lookups.clear();
        store.findClient("known");
        store.findClient("sprayed-999");
        store.findClient("sprayed-999");
        assertThat(database.lookups).isEmpty();
    }

    private static ClientRecord client(String id) {
        return new ClientRecord(
                UUID.randomUUID(),
                id,
                AgentStatus.ACTIVE,
                List.of(),
                List.of(new ClientRecord.StoredSecret(UUID.randomUUID(), new byte[32], null)),
                Optional.empty());
    }

    /** The database side: only lookups are used here. */
    private static final class CountingStore implements CredentialStore {
        final Map<String, ClientRecord> clients = new ConcurrentHashMap<>();
        final List<String> lookups = new ArrayList<>();

        @Override
        public Future<Optional<ClientRecord>> findClient(String clientId) {
            lookups.add(clientId);
            return Future.succeededFuture(Optional.ofNullable(clients.get(clientId)));
        }

        @Override
        public Future<Optional<Credential>> create(
                UUID agentId, byte[] secretHash, Optional<Instant> expiresAt, String label, Audit.Context context) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<List<Credential>> list(UUID agentId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<Optional<Credential>> rotate(
                UUID agentId, UUID credentialId, byte[] newHash, Duration grace, Audit.Context context) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<Boolean> revoke(UUID agentId, UUID credentialId, Audit.Context context) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<Void> ensureSecret(UUID agentId, byte[] secretHash, String label) {
            throw new UnsupportedOperationException();
        }
    }
}
