package ai.sentryagent.agentidp.credential;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.agent.AgentStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The directory's rules, with the database replaced by a map that counts its queries: what is trusted, when, and for
 * how long. A lookup that reaches the "database" is one that was not answered from memory.
 */
class ClientDirectoryTest {
    private static final Instant NOW = Instant.parse("2026-11-28T10:00:00Z");
    private final MutableClock clock = new MutableClock();
    private final Map<String, ClientRecord> database = new HashMap<>();
    private final List<String> queries = new ArrayList<>();
    /** When set, the next query waits for the test to answer it: a lookup in flight. */
    private Promise<Optional<ClientRecord>> held;

    private final ClientDirectory directory = new ClientDirectory(this::query, clock, Duration.ofSeconds(30), 100);

    private Future<Optional<ClientRecord>> query(String clientId) {
        queries.add(clientId);
        if (held != null) {
            return held.future();
        }
        return Future.succeededFuture(Optional.ofNullable(database.get(clientId)));
    }

    private boolean cached(ClientDirectory directory, String clientId) {
        int before = queries.size();
        directory.findClient(clientId);
        return queries.size() == before;
    }

    private ClientRecord client(String id, Instant secretExpiry) {
        ClientRecord client = new ClientRecord(
                UUID.randomUUID(),
                id,
                AgentStatus.ACTIVE,
                List.of(),
                List.of(new ClientRecord.StoredSecret(UUID.randomUUID(), new byte[32], secretExpiry)),
                Optional.empty(),
                List.of(),
                List.of());
        database.put(id, client);
        return client;
    }

    @Test
    void nothingIsKeptUntilNotificationsArrive() {
        client("a", null);
        directory.findClient("a");
        assertThat(cached(directory, "a")).isFalse();
        directory.live(true);
        directory.findClient("a");
        assertThat(cached(directory, "a")).isTrue();
        directory.live(false); // the notification connection is lost: everything goes
        directory.live(true);
        assertThat(cached(directory, "a")).isFalse();
    }

    @Test
    void aChangeDropsItsClientAndALookupThatRacedAChangeIsNotKept() {
        directory.live(true);
        client("a", null);
        ClientRecord b = client("b", null);
        directory.findClient("a");
        directory.findClient("b");
        directory.changed("a");
        assertThat(cached(directory, "a")).isFalse();
        assertThat(cached(directory, "b")).isTrue();

        ClientRecord d = client("d", null);
        held = Promise.promise();
        directory.findClient("d"); // a lookup starts ...
        directory.changed("c"); // ... any change is notified meanwhile ...
        held.complete(Optional.of(d)); // ... and its (possibly stale) answer is not kept
        held = null;
        assertThat(cached(directory, "d")).isFalse();

        directory.changed("*");
        assertThat(cached(directory, "b")).isFalse();

        // A credential written by this task drops its agent's client at once, whatever its client id.
        assertThat(cached(directory, "b")).isTrue();
        directory.changedAgent(b.agentId());
        assertThat(cached(directory, "b")).isFalse();
    }

    @Test
    void entriesEndAtMaxAgeOrAtTheirFirstSecretExpiry() {
        directory.live(true);
        client("a", null);
        client("b", NOW.plusSeconds(5));
        directory.findClient("a");
        directory.findClient("b");
        clock.now = NOW.plusSeconds(5);
        assertThat(cached(directory, "b")).isFalse();
        assertThat(cached(directory, "a")).isTrue();
        clock.now = NOW.plusSeconds(30);
        assertThat(cached(directory, "a")).isFalse();
    }

    @Test
    void zeroMaxAgeTurnsItOff() {
        ClientDirectory off = new ClientDirectory(this::query, clock, Duration.ZERO, 100);
        off.live(true);
        client("a", null);
        off.findClient("a");
        assertThat(cached(off, "a")).isFalse();
    }

    private static final class MutableClock extends Clock {
        Instant now = NOW;

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
