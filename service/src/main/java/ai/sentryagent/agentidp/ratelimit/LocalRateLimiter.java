package ai.sentryagent.agentidp.ratelimit;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The same fixed windows in this process's memory: the fallback while Redis is unreachable. Each task then
 * enforces the limit on its own, so a client can get up to (tasks × limit) in a window — the documented price of
 * keeping tokens flowing.
 */
public final class LocalRateLimiter implements RateLimiter {
    private static final int MAX_KEYS = 100_000;

    private record Window(long start, long count) {}

    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
    private final long windowMs;
    private final LongSupplier clock;

    public LocalRateLimiter(long windowMs, LongSupplier clockMs) {
        this.windowMs = windowMs;
        this.clock = clockMs;
    }

    @Override
    public Future<Decision> hit(String key, int limit) {
        long now = clock.getAsLong();
        if (windows.size() > MAX_KEYS) {
            windows.entrySet().removeIf(e -> now - e.getValue().start() >= windowMs);
        }
        Window window = windows.compute(
                key,
                (k, current) -> current == null || now - current.start() >= windowMs
                        ? new Window(now, 1)
                        : new Window(current.start(), current.count() + 1));
        return Future.succeededFuture(decision(window, window.count(), limit, now));
    }

    @Override
    public Future<List<Decision>> peek(List<String> keys, List<Integer> limits) {
        long now = clock.getAsLong();
        List<Decision> decisions = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            Window window = windows.get(keys.get(i));
            int limit = limits.get(i);
            if (window == null || now - window.start() >= windowMs) {
                decisions.add(new Decision(true, 0, 1));
            } else {
                decisions.add(decision(window, window.count() + 1, limit, now));
            }
        }
        return Future.succeededFuture(decisions);
    }

    private Decision decision(Window window, long count, int limit, long now) {
        long remaining = window.start() + windowMs - now;
        return new Decision(count <= limit, count, Math.max(1, (remaining + 999) / 1000));
    }
}
