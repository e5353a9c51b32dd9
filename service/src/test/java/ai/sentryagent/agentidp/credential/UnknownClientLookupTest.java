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
    void anUnknownIdCostsNoMoreDatabaseQueriesThanAKnownOne() {
        cache.live(true);
        database.clients.put("known", client("known"));
        for (int i = 0; i < 5; i++) {
            assertThat(store.findClient("known").result()).isPresent();
            assertThat(store.findClient("unknown").result()).isEmpty();
        }
        assertThat(database.lookups).containsExactly("known", "unknown");
    }

    @Test
    void anUnknownIdIsLookedUpAgainOnceAChangeToItIsNotified() {
        cache.live(true);
        assertThat(store.findClient("new-agent").result()).isEmpty();
        database.clients.put("new-agent", client("new-agent"));
        cache.changed("new-agent"); // the INSERT's notification
        assertThat(store.findClient("new-agent").result()).isPresent();

        assertThat(store.findClient("other").result()).isEmpty();
        cache.changedAll(); // a write by this task
        database.clients.put("other", client("other"));
        assertThat(store.findClient("other").result()).isPresent();
        assertThat(database.lookups).containsExactly("new-agent", "new-agent", "other", "other");
    }

    @Test
    void unknownIdsAreNotRememberedWithoutNotificationsAndNeverEvictKnownClients() {
        assertThat(store.findClient("unknown").result()).isEmpty();
        assertThat(store.findClient("unknown").result()).isEmpty();
        assertThat(database.lookups).hasSize(2); // not live: every lookup goes to the database

        cache.live(true);
        database.clients.put("known", client("known"));
        store.findClient("known");
        for (int i = 0; i < 1_000; i++) {
            store.findClient("sprayed-" + i); // a guesser's ids: 10x the cache's size
        }
        database.lookups.clear();
        store.findClient("known");
        assertThat(database.lookups).isEmpty();
    }

    private static ClientRecord client(String id) {
        return new ClientRecord(
                UUID.randomUUID(),
                id,
                AgentStatus.ACTIVE,
                List.of(),
                List.of(new ClientRecord.StoredSecret(UUID.randomUUID(), new byte[32], null)));
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
