package ai.sentryagent.agentidp.ratelimit;

import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The limits of client authentication, in fixed windows: failures per (client id, source address) and per source
 * address are hard limits; failures per client id from every address are a much higher ceiling that, once reached,
 * refuses only the addresses that have failed for that client (so whoever knows a client id cannot lock the genuine
 * client out); successful token requests are counted per client.
 *
 * <p>One call per request, made once the secret has been checked: counting and deciding are one atomic step, so
 * concurrent guesses never get more answers than the limit allows. An assertion's single-use {@code jti} is claimed
 * in that same call ({@link SingleUse}).
 */
public interface RateLimiter {

    /** Which limit refused an attempt; {@code NONE} when it was allowed. Also the metric's bounded reason tag. */
    enum Limit {
        NONE("none"),
        CLIENT_AND_IP("auth_failures_client_ip"),
        IP("auth_failures_ip"),
        CLIENT("auth_failures_client"),
        REQUESTS("client_requests");

        private final String tag;

        Limit(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }

    /**
     * One client authentication attempt, keyed by hashes of what it presented: the keys are bounded in size whatever
     * the request sent, and carry no client id (or secret sent as one) into Redis.
     */
    record Attempt(String pairKey, String ipKey, String clientKey, String requestKey, boolean succeeded) {

        public static Attempt of(String clientId, String clientIp, boolean succeeded) {
            return new Attempt(
                    "af:p:" + hash(clientId + "\n" + clientIp),
                    "af:i:" + hash(clientIp),
                    "af:c:" + hash(clientId),
                    "rq:c:" + hash(clientId),
                    succeeded);
        }

        /** The same attempt, counted as a failure (a replayed {@link SingleUse}). */
        public Attempt failed() {
            return new Attempt(pairKey, ipKey, clientKey, requestKey, false);
        }

        private static String hash(String value) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(digest, 0, 16);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The limits per window; {@code requestsPerClient} zero counts no successful requests (introspection). */
    record Limits(int perClientAndIp, int perIp, int perClient, int requestsPerClient) {}

    /** The outcome: allowed, or refused by a limit until {@code retryAfterSeconds} from now. */
    record Decision(Limit limitedBy, long retryAfterSeconds) {
        public static final Decision ALLOWED = new Decision(Limit.NONE, 0);

        public boolean allowed() {
            return limitedBy == Limit.NONE;
        }
    }

    /**
     * Something valid once — an assertion's {@code jti} — remembered for {@code ttlMs} under {@code key}, the whole
     * Redis key (namespaced and hashed by its owner; a limiter uses it as is).
     */
    interface SingleUse {
        String key();

        long ttlMs();

        /** The claim in a call of its own: true on first use; fails when Redis cannot tell. */
        Future<Boolean> claimAlone();
    }

    /** An attempt that claimed a {@link SingleUse}: {@code firstUse} false is a replay, counted as a failure. */
    record Claimed(Decision decision, boolean firstUse) {}

    /**
     * Counts the attempt and decides, atomically. A failure within the limits is counted against all three failure
     * keys; a success clears its (client id, address) failures and counts one request.
     */
    Future<Decision> attempt(Attempt attempt, Limits limits);

    /**
     * Claims {@code once}, then counts {@code attempt} (a success only on the first use: a replay is a failure) and
     * decides. The claim is made whatever the limits then decide, as when it was a call before the limiter's. Fails
     * when the claim cannot be checked — a use that cannot be told from a replay is not assumed first. Here two calls;
     * {@link RedisRateLimiter} makes them one script, so an assertion costs one Redis round trip.
     */
    default Future<Claimed> attempt(Attempt attempt, Limits limits, SingleUse once) {
        return once.claimAlone()
                .compose(first -> attempt(first ? attempt : attempt.failed(), limits)
                        .map(decision -> new Claimed(decision, first)));
    }

    /**
     * The shared limiter cannot answer this call in time while it answers others (its client's wait queue is full,
     * or the call waited its longest): back-pressure, answered 503 for this request only. It says nothing about
     * whether Redis is reachable.
     */
    final class Busy extends RuntimeException {
        public Busy(Throwable cause) {
            super("the shared rate limiter is busy (" + cause + ")", cause, false, false);
        }
    }
}
