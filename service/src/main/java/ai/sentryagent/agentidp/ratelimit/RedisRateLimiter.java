package ai.sentryagent.agentidp.ratelimit;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Fixed windows in Redis, shared by every task. Counting is one Lua script — INCR, set the expiry on the first hit,
 * read the remaining time — so concurrent requests never race between reading and writing.
 */
public final class RedisRateLimiter implements RateLimiter {
    static final String HIT = "local count = redis.call('INCR', KEYS[1]) "
            + "if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end "
            + "local ttl = redis.call('PTTL', KEYS[1]) "
            + "if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end "
            + "return {count, ttl}";
    static final String PEEK = "local out = {} "
            + "for i, key in ipairs(KEYS) do "
            + "  out[#out + 1] = tonumber(redis.call('GET', key) or '0') "
            + "  out[#out + 1] = redis.call('PTTL', key) "
            + "end return out";
    /**
     * How long a limiter call may take before Redis counts as gone and limits go per process. A refused connection
     * fails at once anyway; this only catches a hung Redis. 250 ms proved too eager: a JVM still compiling under a
     * burst of requests missed it and flipped to per-process limits, letting a window's limit through twice.
     */
    private static final long TIMEOUT_MS = 1_000;

    private final Redis redis;
    private final String prefix;
    private final long windowMs;

    public RedisRateLimiter(Redis redis, String keyPrefix, long windowMs) {
        this.redis = redis;
        this.prefix = keyPrefix + "rl:";
        this.windowMs = windowMs;
    }

    @Override
    public Future<Decision> hit(String key, int limit) {
        return redis.send(Request.cmd(Command.EVAL)
                        .arg(HIT)
                        .arg(1)
                        .arg(prefix + key)
                        .arg(windowMs))
                .timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .map(response ->
                        decision(response.get(0).toLong(), response.get(1).toLong(), limit));
    }

    @Override
    public Future<List<Decision>> peek(List<String> keys, List<Integer> limits) {
        Request request = Request.cmd(Command.EVAL).arg(PEEK).arg(keys.size());
        keys.forEach(key -> request.arg(prefix + key));
        return redis.send(request).timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).map(response -> {
            List<Decision> decisions = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                Response count = response.get(2 * i);
                long ttl = response.get(2 * i + 1).toLong();
                // Peeking counts nothing: at the limit is already too many for the next attempt.
                decisions.add(decision(count.toLong() + 1, ttl, limits.get(i)));
            }
            return decisions;
        });
    }

    private static Decision decision(long count, long ttlMs, int limit) {
        long retryAfter = Math.max(1, (Math.max(ttlMs, 0) + 999) / 1000);
        return new Decision(count <= limit, count, retryAfter);
    }
}
