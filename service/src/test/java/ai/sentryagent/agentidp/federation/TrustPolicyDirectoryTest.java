package ai.sentryagent.agentidp.federation;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
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
class TrustPolicyDirectoryTest {
    private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");
    private final MutableClock clock = new MutableClock();
    private final Map<String, List<TrustPolicy>> database = new HashMap<>();
    private final List<String> queries = new ArrayList<>();
    /** When set, the next query waits for the test to answer it: a lookup in flight. */
    private Promise<List<TrustPolicy>> held;

    private final TrustPolicyDirectory directory =
            new TrustPolicyDirectory(this::query, clock, Duration.ofSeconds(30), 100);

    private Future<List<TrustPolicy>> query(String issuer) {
        queries.add(issuer);
        if (held != null) {
            return held.future();
        }
        return Future.succeededFuture(database.getOrDefault(issuer, List.of()));
    }

    private boolean cached(String issuer) {
        int before = queries.size();
        directory.forIssuer(issuer);
        return queries.size() == before;
    }

    private TrustPolicy policy(String issuer) {
        TrustPolicy policy = new TrustPolicy(
                UUID.randomUUID(),
                "p",
                issuer,
                new TrustPolicy.KeySource.Uri("https://keys.example.com/jwks"),
                "agentidp",
                Optional.empty(),
                new JsonObject(),
                UUID.randomUUID(),
                List.of("weather:read"),
                NOW);
        database.computeIfAbsent(issuer, i -> new ArrayList<>()).add(policy);
        return policy;
    }

    @Test
    void nothingIsKeptOrUsedUnlessNotificationsArrive() {
        policy("https://a");
        directory.forIssuer("https://a");
        assertThat(cached("https://a")).isFalse();
        directory.live(true);
        directory.forIssuer("https://a");
        assertThat(cached("https://a")).isTrue();
        directory.live(false); // the notification connection is lost: every request reads PostgreSQL ...
        assertThat(cached("https://a")).isFalse();
        directory.live(true); // ... and what was kept before is gone once it is back
        assertThat(cached("https://a")).isFalse();
    }

    @Test
    void anIssuerWithoutPolicyIsRememberedUntilAPolicyForItIsNotified() {
        directory.live(true);
        assertThat(directory.forIssuer("https://new").result()).isEmpty();
        assertThat(cached("https://new")).isTrue(); // an invented issuer costs no query the second time
        TrustPolicy created = policy("https://new");
        directory.changed("https://new");
        assertThat(directory.forIssuer("https://new").result()).containsExactly(created);
    }

    @Test
    void aChangeDropsItsIssuerAndALookupThatRacedAChangeIsNotKept() {
        directory.live(true);
        policy("https://a");
        policy("https://b");
        directory.forIssuer("https://a");
        directory.forIssuer("https://b");
        database.remove("https://a");
        directory.changed("https://a");
        assertThat(directory.forIssuer("https://a").result()).isEmpty(); // the deleted policy no longer matches
        assertThat(cached("https://b")).isTrue();

        TrustPolicy stale = policy("https://d");
        held = Promise.promise();
        directory.forIssuer("https://d"); // a lookup starts ...
        directory.changed("https://c"); // ... any change is notified meanwhile ...
        held.complete(List.of(stale)); // ... and its (possibly stale) answer is not kept
        held = null;
        assertThat(cached("https://d")).isFalse();

        directory.changed("*");
        assertThat(cached("https://b")).isFalse();
    }

    @Test
    void sprayedIssuersNeitherEvictKnownOnesNorReachTheDatabaseWhenNoPolicyCouldNameThem() {
        directory.live(true);
        policy("https://known");
        directory.forIssuer("https://known");
        for (int i = 0; i < 1_000; i++) {
            directory.forIssuer("https://invented-" + i);
        }
        assertThat(cached("https://known")).isTrue();

        // Longer than V8 lets a policy's issuer be: answered without a query, and not kept.
        String overlong = "https://" + "x".repeat(TrustPolicyDirectory.MAX_ISSUER_LENGTH);
        assertThat(cached(overlong)).isTrue();
        assertThat(directory.forIssuer(overlong).result()).isEmpty();
        // 512 characters outside the BMP are 1,024 UTF-16 units, and may still name a policy.
        String astral = "\uD83D\uDD11".repeat(TrustPolicyDirectory.MAX_ISSUER_LENGTH);
        assertThat(cached(astral)).isFalse();
    }

    @Test
    void entriesEndAtMaxAge() {
        directory.live(true);
        policy("https://a");
        directory.forIssuer("https://a");
        directory.forIssuer("https://none");
        clock.now = NOW.plusSeconds(29);
        assertThat(cached("https://a")).isTrue();
        assertThat(cached("https://none")).isTrue();
        clock.now = NOW.plusSeconds(30);
        assertThat(cached("https://a")).isFalse();
        assertThat(cached("https://none")).isFalse();
    }

    @Test
    void zeroMaxAgeTurnsItOff() {
        TrustPolicyDirectory off = new TrustPolicyDirectory(this::query, clock, Duration.ZERO, 100);
        off.live(true);
        policy("https://a");
        off.forIssuer("https://a");
        int before = queries.size();
        off.forIssuer("https://a");
        assertThat(queries).hasSize(before + 1);
    }

    private static final class MutableClock extends Clock {
        Instant now = NOW;

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
