package ai.sentryagent.agentidp.credential;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.agent.AgentStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The cache's rules, without a database: what is trusted, when, and for how long. */
class ClientCacheTest {
    private static final Instant NOW = Instant.parse("2026-11-28T10:00:00Z");
    private final MutableClock clock = new MutableClock();
    private final ClientCache cache = new ClientCache(clock, Duration.ofSeconds(30), 100);

    private static ClientRecord client(String id, Instant secretExpiry) {
        return new ClientRecord(
                UUID.randomUUID(),
                id,
                AgentStatus.ACTIVE,
                List.of(),
                List.of(new ClientRecord.StoredSecret(UUID.randomUUID(), new byte[32], secretExpiry)),
                Optional.empty());
    }

    @Test
    void nothingIsKeptUntilNotificationsArrive() {
        cache.put("a", client("a", null), cache.generation());
        assertThat(cache.get("a")).isEmpty();
        cache.live(true);
        cache.put("a", client("a", null), cache.generation());
        assertThat(cache.get("a")).isPresent();
        cache.live(false); // the notification connection is lost: everything goes
        cache.live(true);
        assertThat(cache.get("a")).isEmpty();
    }

    @Test
    void aChangeDropsItsClientAndALookupThatRacedAChangeIsNotKept() {
        cache.live(true);
        cache.put("a", client("a", null), cache.generation());
        cache.put("b", client("b", null), cache.generation());
        cache.changed("a");
        assertThat(cache.get("a")).isEmpty();
        assertThat(cache.get("b")).isPresent();

        long before = cache.generation(); // a lookup starts ...
        cache.changed("c"); // ... any change is notified meanwhile ...
        cache.put("a", client("a", null), before); // ... and its (possibly stale) answer is not kept
        assertThat(cache.get("a")).isEmpty();

        cache.changed("*");
        assertThat(cache.get("b")).isEmpty();
    }

    @Test
    void entriesEndAtMaxAgeOrAtTheirFirstSecretExpiry() {
        cache.live(true);
        cache.put("a", client("a", null), cache.generation());
        cache.put("b", client("b", NOW.plusSeconds(5)), cache.generation());
        clock.now = NOW.plusSeconds(5);
        assertThat(cache.get("b")).isEmpty();
        assertThat(cache.get("a")).isPresent();
        clock.now = NOW.plusSeconds(30);
        assertThat(cache.get("a")).isEmpty();
    }

    @Test
    void zeroMaxAgeTurnsItOff() {
        ClientCache off = new ClientCache(clock, Duration.ZERO, 100);
        off.live(true);
        off.put("a", client("a", null), off.generation());
        assertThat(off.get("a")).isEmpty();
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
