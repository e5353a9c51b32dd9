package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.error.Outages;
import ai.sentryagent.agentidp.ratelimit.RateLimiter;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * Single use of an assertion's {@code jti} across every task (RFC 7523 §3 item 7) — a {@code private_key_jwt} client
 * assertion's and a jwt-bearer grant's alike: one Redis {@code SET NX PX} per assertion, kept until the assertion
 * expires. A client assertion's is made inside the rate limiter's script ({@link #claim}, one round trip for both);
 * a jwt-bearer grant's on its own ({@link #firstUse}), once every check the client could correct has passed and
 * before the token is signed. The key is a hash of the namespace (the client, or the external issuer) and the jti, so neither an
 * attacker-chosen jti nor its length reaches Redis as a key. When Redis cannot answer, the assertion is refused with 503 —
 * replay protection that cannot be checked is not assumed; secrets keep working, and the client retries later.
 */
public final class AssertionReplay {
    /** Shorter than the limiter's: an assertion waits for it on the request path. */
    private static final long TIMEOUT_MS = 2_000;

    private final Redis redis;
    private final String prefix;
    private final Clock clock;

    public AssertionReplay(Redis redis, String keyPrefix, Clock clock) {
        this.redis = redis;
        this.prefix = keyPrefix + "assertion-jti:";
        this.clock = clock;
    }

    /** The namespace of a client's own assertions. */
    static String client(String clientId) {
        return "client\0" + clientId;
    }

    /** The namespace of an external issuer's assertions (the jwt-bearer grant). */
    static String issuer(String issuer) {
        return "issuer\0" + issuer;
    }

    /** The use of {@code jti} in {@code namespace}, for the rate limiter to claim in the call it makes anyway. */
    RateLimiter.SingleUse claim(String namespace, String jti, Instant until) {
        long ttl = Math.max(1, Duration.between(clock.instant(), until).toMillis());
        return new Use(prefix + digest(namespace + "\0" + jti), ttl, this);
    }

    /**
     * True when this is the first use of {@code jti} in {@code namespace} ({@link #client}, {@link #issuer}); fails
     * with an outage when Redis cannot tell.
     */
    Future<Boolean> firstUse(String namespace, String jti, Instant until) {
        return claim(namespace, jti, until).claimAlone();
    }

    private record Use(String key, long ttlMs, AssertionReplay replay) implements RateLimiter.SingleUse {
        @Override
        public Future<Boolean> claimAlone() {
            return replay.set(key, ttlMs);
        }
    }

    private Future<Boolean> set(String key, long ttl) {
        return redis.send(Request.cmd(Command.SET)
                        .arg(key)
                        .arg("1")
                        .arg("NX")
                        .arg("PX")
                        .arg(ttl))
                .timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .map(response -> response != null)
                .recover(failure -> Future.failedFuture(new Outages.DependencyDown("Redis", failure)));
    }

    private static String digest(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
