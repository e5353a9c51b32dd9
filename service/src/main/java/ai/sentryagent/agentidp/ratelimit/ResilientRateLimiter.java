package ai.sentryagent.agentidp.ratelimit;

import ai.sentryagent.agentidp.observability.Metrics;
import io.vertx.core.Future;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis first; when Redis fails, the local limiter answers (degraded mode: a metric and one log line on entering
 * and on leaving). While degraded, Redis is tried again with a growing backoff (1 s doubling to 30 s) instead of
 * on every request, so an outage costs no latency on the token path.
 */
public final class ResilientRateLimiter implements RateLimiter {
    private static final Logger LOG = LoggerFactory.getLogger(ResilientRateLimiter.class);
    private static final long FIRST_BACKOFF_MS = 1_000;
    private static final long MAX_BACKOFF_MS = 30_000;

    private final RateLimiter redis;
    private final RateLimiter local;
    private final Metrics metrics;
    private final LongSupplier clock;
    private volatile boolean degraded;
    private volatile long nextProbeAt;
    private volatile long backoffMs = FIRST_BACKOFF_MS;

    public ResilientRateLimiter(RateLimiter redis, RateLimiter local, Metrics metrics, LongSupplier clockMs) {
        this.redis = redis;
        this.local = local;
        this.metrics = metrics;
        this.clock = clockMs;
    }

    @Override
    public Future<Decision> hit(String key, int limit) {
        return route(limiter -> limiter.hit(key, limit));
    }

    @Override
    public Future<List<Decision>> peek(List<String> keys, List<Integer> limits) {
        return route(limiter -> limiter.peek(keys, limits));
    }

    private <T> Future<T> route(Function<RateLimiter, Future<T>> call) {
        if (degraded && clock.getAsLong() < nextProbeAt) {
            return call.apply(local);
        }
        return call.apply(redis).transform(result -> {
            if (result.succeeded()) {
                recovered();
                return Future.succeededFuture(result.result());
            }
            failed(result.cause());
            return call.apply(local);
        });
    }

    private synchronized void failed(Throwable cause) {
        if (!degraded) {
            degraded = true;
            backoffMs = FIRST_BACKOFF_MS;
            metrics.redisDegraded(true);
            LOG.warn("Redis unreachable ({}): rate limits now enforced per process until it returns", cause.toString());
        } else {
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        }
        nextProbeAt = clock.getAsLong() + backoffMs;
    }

    private synchronized void recovered() {
        if (degraded) {
            degraded = false;
            metrics.redisDegraded(false);
            LOG.info("Redis reachable again: rate limits shared across tasks");
        }
    }
}
