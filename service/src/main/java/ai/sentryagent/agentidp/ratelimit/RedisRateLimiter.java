package ai.sentryagent.agentidp.ratelimit;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.concurrent.TimeUnit;

/**
 * Fixed windows in Redis, shared by every task. Each attempt is one Lua script — read the counters, decide, then
 * increment or clear — so concurrent requests never race between reading and writing, and a token request costs one
 * round trip to Redis for all of its limits. An assertion's {@code jti} is claimed first in the same script
 * ({@code SET NX PX}), so an assertion-authenticated token request costs one round trip as well, not two.
 */
public final class RedisRateLimiter implements RateLimiter {
    /**
     * KEYS: pair, ip, client, requests, and the single-use key when one is claimed. ARGV: window ms, succeeded (1/0),
     * pair limit, ip limit, client ceiling, request limit (0: not counted), the single-use ttl ms. A replayed
     * single-use key turns a success into a failure. Returns {limit index (0 = allowed, as {@link Limit#ordinal()}),
     * ttl ms, first use (1/0; 1 when nothing was claimed)}.
     */
    static final String ATTEMPT = "local window = tonumber(ARGV[1]) "
            + "local function count(key) return tonumber(redis.call('GET', key) or '0') end "
            + "local function ttl(key) local t = redis.call('PTTL', key) if t < 0 then t = window end return t end "
            + "local function bump(key) local c = redis.call('INCR', key) "
            + "  if c == 1 or redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end return c end "
            + "local first = 1 "
            + "if KEYS[5] and not redis.call('SET', KEYS[5], '1', 'NX', 'PX', ARGV[7]) then first = 0 end "
            + "local pair = count(KEYS[1]) "
            + "if pair >= tonumber(ARGV[3]) then return {1, ttl(KEYS[1]), first} end "
            + "if count(KEYS[2]) >= tonumber(ARGV[4]) then return {2, ttl(KEYS[2]), first} end "
            + "if pair > 0 and count(KEYS[3]) >= tonumber(ARGV[5]) then return {3, ttl(KEYS[3]), first} end "
            + "if ARGV[2] == '0' or first == 0 then bump(KEYS[1]) bump(KEYS[2]) bump(KEYS[3]) return {0, 0, first} end "
            + "if pair > 0 then redis.call('DEL', KEYS[1]) end "
            + "local limit = tonumber(ARGV[6]) "
            + "if limit > 0 and bump(KEYS[4]) > limit then return {4, ttl(KEYS[4]), first} end "
            + "return {0, 0, first}";
    /**
     * The longest a call may wait for its answer. 250 ms, then 1 s, proved too eager: a JVM still compiling, or a
     * burst of 450 requests on two busy cores, missed them while Redis was answering, and the limiter flipped to
     * per-process limits. Whether a timeout means Redis is gone is {@link ResilientRateLimiter}'s decision.
     */
    private static final long TIMEOUT_MS = 5_000;

    private static final Limit[] LIMITS = Limit.values();

    private final Redis redis;
    private final String prefix;
    private final long windowMs;

    public RedisRateLimiter(Redis redis, String keyPrefix, long windowMs) {
        this.redis = redis;
        this.prefix = keyPrefix + "rl:";
        this.windowMs = windowMs;
    }

    @Override
    public Future<Decision> attempt(Attempt attempt, Limits limits) {
        return send(attempt, limits, null).map(Claimed::decision);
    }

    @Override
    public Future<Claimed> attempt(Attempt attempt, Limits limits, SingleUse once) {
        return send(attempt, limits, once);
    }

    /** {@code once}: null when nothing is claimed. */
    private Future<Claimed> send(Attempt attempt, Limits limits, SingleUse once) {
        Request request = Request.cmd(Command.EVAL)
                .arg(ATTEMPT)
                .arg(once == null ? 4 : 5)
                .arg(prefix + attempt.pairKey())
                .arg(prefix + attempt.ipKey())
                .arg(prefix + attempt.clientKey())
                .arg(prefix + attempt.requestKey());
        if (once != null) {
            request.arg(once.key());
        }
        request.arg(windowMs)
                .arg(attempt.succeeded() ? 1 : 0)
                .arg(limits.perClientAndIp())
                .arg(limits.perIp())
                .arg(limits.perClient())
                .arg(limits.requestsPerClient());
        if (once != null) {
            request.arg(Math.max(1, once.ttlMs()));
        }
        return redis.send(request).timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).map(response -> {
            Limit limit = LIMITS[response.get(0).toInteger()];
            Decision decision = limit == Limit.NONE
                    ? Decision.ALLOWED
                    : new Decision(limit, retryAfterSeconds(response.get(1).toLong()));
            return new Claimed(decision, response.get(2).toInteger() == 1);
        });
    }

    static long retryAfterSeconds(long ttlMs) {
        return Math.max(1, (Math.max(ttlMs, 0) + 999) / 1000);
    }
}
