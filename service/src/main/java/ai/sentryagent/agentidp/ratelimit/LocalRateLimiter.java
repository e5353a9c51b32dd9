package ai.sentryagent.agentidp.ratelimit;

import io.vertx.core.Future;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The same limits in this process's memory: the fallback while Redis is unreachable. Each task then enforces them
 * on its own, so a client can get up to (tasks × limit) in a window — the documented price of keeping tokens flowing.
 *
 * <p>Bounded in memory and time whatever keys a request sprays: windows are kept in the order they started, so the
 * expired ones are always at the head and are dropped there (each once, amortised O(1) per call), and beyond
 * {@code maxKeys} the oldest window is evicted. An evicted window forgets its count — under a spray that large the
 * per-address limit has already refused the sprayer, who cannot create keys while refused.
 */
public final class LocalRateLimiter implements RateLimiter {
    /** About 200 bytes each: a few MiB at most, next to a 96 MiB heap. */
    public static final int DEFAULT_MAX_KEYS = 20_000;

    private static final class Window {
        final long start;
        long count;

        Window(long start) {
            this.start = start;
        }
    }

    private final LinkedHashMap<String, Window> windows = new LinkedHashMap<>();
    private final long windowMs;
    private final int maxKeys;
    private final LongSupplier clock;

    public LocalRateLimiter(long windowMs, int maxKeys, LongSupplier clockMs) {
        this.windowMs = windowMs;
        this.maxKeys = maxKeys;
        this.clock = clockMs;
    }

    @Override
    public synchronized Future<Decision> attempt(Attempt attempt, Limits limits) {
        long now = clock.getAsLong();
        expire(now);
        Window pair = windows.get(attempt.pairKey());
        long pairCount = pair == null ? 0 : pair.count;
        if (pairCount >= limits.perClientAndIp()) {
            return refused(Limit.CLIENT_AND_IP, pair, now);
        }
        Window ip = windows.get(attempt.ipKey());
        if (ip != null && ip.count >= limits.perIp()) {
            return refused(Limit.IP, ip, now);
        }
        Window client = windows.get(attempt.clientKey());
        if (pairCount > 0 && client != null && client.count >= limits.perClient()) {
            return refused(Limit.CLIENT, client, now);
        }
        if (!attempt.succeeded()) {
            bump(attempt.pairKey(), now);
            bump(attempt.ipKey(), now);
            bump(attempt.clientKey(), now);
            return Future.succeededFuture(Decision.ALLOWED);
        }
        windows.remove(attempt.pairKey());
        if (limits.requestsPerClient() > 0) {
            Window requests = bump(attempt.requestKey(), now);
            if (requests.count > limits.requestsPerClient()) {
                return refused(Limit.REQUESTS, requests, now);
            }
        }
        return Future.succeededFuture(Decision.ALLOWED);
    }

    /** How many windows are held: for tests of the bound. */
    synchronized int size() {
        return windows.size();
    }

    private Window bump(String key, long now) {
        Window window = windows.get(key);
        if (window == null) {
            window = new Window(now);
            windows.put(key, window);
            if (windows.size() > maxKeys) {
                Iterator<Window> oldest = windows.values().iterator();
                oldest.next();
                oldest.remove();
            }
        }
        window.count++;
        return window;
    }

    /** Windows started in order, so the expired ones are a prefix of the map. */
    private void expire(long now) {
        Iterator<Map.Entry<String, Window>> it = windows.entrySet().iterator();
        while (it.hasNext() && now - it.next().getValue().start >= windowMs) {
            it.remove();
        }
    }

    private Future<Decision> refused(Limit limit, Window window, long now) {
        long remaining = window.start + windowMs - now;
        return Future.succeededFuture(new Decision(limit, RedisRateLimiter.retryAfterSeconds(remaining)));
    }
}
