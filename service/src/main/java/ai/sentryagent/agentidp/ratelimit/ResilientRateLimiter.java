package ai.sentryagent.agentidp.ratelimit;

import ai.sentryagent.agentidp.observability.Metrics;
import io.vertx.core.Future;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis first; when Redis fails, the local limiter answers (degraded mode: a metric and one log line on entering
 * and on leaving). While degraded, Redis is tried again with a growing backoff (1 s doubling to 30 s) instead of
 * on every request, so an outage costs no latency on the token path.
 *
 * <p>A full wait queue in the Redis client is back-pressure from a burst, not an outage: that call fails with
 * {@link Busy} (503 for that request) and the limiter stays shared. Flipping to per-process limits there would drop
 * every lockout count in the middle of the burst that filled the queue. Likewise a call that timed out while Redis
 * went on answering calls sent after it: this process is behind (seen under a burst of 450 requests on two busy
 * cores), Redis is not gone. Redis counts as gone when a connection fails, or when a call times out and nothing at
 * all was answered since it was sent. While degraded, one request at a time probes Redis; the others stay local.
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
    /** When Redis last answered a call. */
    private volatile long lastAnsweredAt;

    public ResilientRateLimiter(RateLimiter redis, RateLimiter local, Metrics metrics, LongSupplier clockMs) {
        this.redis = redis;
        this.local = local;
        this.metrics = metrics;
        this.clock = clockMs;
    }

    @Override
    public Future<Decision> attempt(Attempt attempt, Limits limits) {
        if (degraded && !claimProbe()) {
            return local.attempt(attempt, limits);
        }
        long sentAt = clock.getAsLong();
        return redis.attempt(attempt, limits).transform(result -> {
            if (result.succeeded()) {
                lastAnsweredAt = clock.getAsLong();
                recovered();
                return Future.succeededFuture(result.result());
            }
            Throwable cause = result.cause();
            if (isBackPressure(cause) || (cause instanceof TimeoutException && lastAnsweredAt >= sentAt)) {
                return Future.failedFuture(new Busy(cause));
            }
            failed(cause);
            return local.attempt(attempt, limits);
        });
    }

    /** While degraded: whether this request is the one that tries Redis again now. */
    private synchronized boolean claimProbe() {
        if (clock.getAsLong() < nextProbeAt) {
            return false;
        }
        nextProbeAt = clock.getAsLong() + backoffMs;
        return true;
    }

    /**
     * The client's own queues overflowing: waiting for a pooled connection ({@code setMaxPoolWaiting}: Vert.x's
     * {@code ConnectionPoolTooBusyException}, "Connection pool reached max wait queue size of N") or for replies on
     * one ({@code setMaxWaitingHandlers}: "Redis waiting queue is full"). Told by message: the first lives in
     * {@code io.vertx.core.http}, which this package must not depend on, and the second has no type of its own.
     */
    static boolean isBackPressure(Throwable cause) {
        String message = cause.getMessage() == null ? "" : cause.getMessage();
        return message.contains("reached max wait queue size") || message.contains("waiting queue is full");
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
