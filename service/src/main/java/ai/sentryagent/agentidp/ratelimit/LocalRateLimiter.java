package ai.sentryagent.agentidp.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.vertx.core.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The same limits in this process's memory: the fallback while Redis is unreachable. Each task then enforces them
 * on its own, so a client can get up to (tasks × limit) in a window — the documented price of keeping tokens flowing.
 *
 * <p>Bounded in memory and time whatever keys a request sprays: the windows live in a Caffeine cache of at most
 * {@code maxKeys} entries, each expiring when its window ends (timer wheel, O(1) per call), maintained on the
 * caller's thread so the bound holds at every call. Caffeine evicts by frequency (W-TinyLFU), not by age: a sprayer's
 * one-off keys are refused admission before they displace a window that is counting someone's repeated guesses, which
 * an oldest-first eviction would hand back to the guesser.
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

    private final Cache<String, Window> windows;
    private final long windowMs;
    private final LongSupplier clock;

    public LocalRateLimiter(long windowMs, int maxKeys, LongSupplier clockMs) {
        this.windowMs = windowMs;
        this.clock = clockMs;
        long windowNanos = TimeUnit.MILLISECONDS.toNanos(windowMs);
        this.windows = Caffeine.newBuilder()
                .maximumSize(maxKeys)
                .expireAfter(new Expiry<String, Window>() {
                    @Override
                    public long expireAfterCreate(String key, Window window, long now) {
                        return windowNanos; // a fixed window: counting in it never extends it
                    }

                    @Override
                    public long expireAfterUpdate(String key, Window window, long now, long remaining) {
                        return remaining;
                    }

                    @Override
                    public long expireAfterRead(String key, Window window, long now, long remaining) {
                        return remaining;
                    }
                })
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clockMs.getAsLong()))
                .executor(Runnable::run) // evict on the calling thread: no pool thread, no lag behind the bound
                .build();
    }

    @Override
    public synchronized Future<Decision> attempt(Attempt attempt, Limits limits) {
        long now = clock.getAsLong();
        Window pair = windows.getIfPresent(attempt.pairKey());
        long pairCount = pair == null ? 0 : pair.count;
        if (pairCount >= limits.perClientAndIp()) {
            return refused(Limit.CLIENT_AND_IP, pair, now);
        }
        Window ip = windows.getIfPresent(attempt.ipKey());
        if (ip != null && ip.count >= limits.perIp()) {
            return refused(Limit.IP, ip, now);
        }
        Window client = windows.getIfPresent(attempt.clientKey());
        if (pairCount > 0 && client != null && client.count >= limits.perClient()) {
            return refused(Limit.CLIENT, client, now);
        }
        if (!attempt.succeeded()) {
            bump(attempt.pairKey(), now);
            bump(attempt.ipKey(), now);
            bump(attempt.clientKey(), now);
            return Future.succeededFuture(Decision.ALLOWED);
        }
        windows.invalidate(attempt.pairKey());
        if (limits.requestsPerClient() > 0) {
            Window requests = bump(attempt.requestKey(), now);
            if (requests.count > limits.requestsPerClient()) {
                return refused(Limit.REQUESTS, requests, now);
            }
        }
        return Future.succeededFuture(Decision.ALLOWED);
    }

    /** How many windows are held, once expired and surplus ones are gone: for tests of the bound. */
    synchronized long size() {
        windows.cleanUp();
        return windows.estimatedSize();
    }

    private Window bump(String key, long now) {
        Window window = windows.get(key, ignored -> new Window(now));
        window.count++;
        return window;
    }

    private Future<Decision> refused(Limit limit, Window window, long now) {
        long remaining = window.start + windowMs - now;
        return Future.succeededFuture(new Decision(limit, RedisRateLimiter.retryAfterSeconds(remaining)));
    }
}
