package ai.sentryagent.agentidp.credential;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.agent.AgentStatus;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
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
    private final CountingStore database = new CountingStore();
    private final ClientDirectory store =
            new ClientDirectory(database::findClient, Clock.systemUTC(), Duration.ofSeconds(30), 100);

    @Test
    void anUnknownIdCostsNoMoreDatabaseQueriesThanAKnownOneUntilAChangeToItIsNotified() {
        store.live(true);
        database.clients.put("known", client("known"));
        for (int i = 0; i < 5; i++) {
            assertThat(store.findClient("known").result()).isPresent();
            assertThat(store.findClient("new-agent").result()).isEmpty();
        }
        assertThat(database.lookups).containsExactly("known", "new-agent");

        // The agent is registered: the INSERT's notification makes the next lookup go to the database.
        database.clients.put("new-agent", client("new-agent"));
        store.changed("new-agent");
        assertThat(store.findClient("new-agent").result()).isPresent();
        // A write by this task forgets every unknown id at once.
        assertThat(store.findClient("other").result()).isEmpty();
        database.clients.put("other", client("other"));
        store.changedAll();
        assertThat(store.findClient("other").result()).isPresent();
        // Without notifications nothing is remembered.
        store.live(false);
        database.lookups.clear();
        store.findClient("gone");
        store.findClient("gone");
        assertThat(database.lookups).containsExactly("gone", "gone");
    }

    @Test
    void sprayedUnknownIdsAreRememberedWithoutEvictingKnownClients() {
        store.live(true);
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
                Optional.empty(),
                List.of(),
                List.of());
    }

    /** The database side: the directory's query, counted. */
    private static final class CountingStore {
        final Map<String, ClientRecord> clients = new ConcurrentHashMap<>();
        final List<String> lookups = new ArrayList<>();

        Future<Optional<ClientRecord>> findClient(String clientId) {
            lookups.add(clientId);
            return Future.succeededFuture(Optional.ofNullable(clients.get(clientId)));
        }
    }
}
