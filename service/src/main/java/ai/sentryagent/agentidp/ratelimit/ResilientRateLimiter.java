package ai.sentryagent.agentidp.ratelimit;

import ai.sentryagent.agentidp.error.Outages;
import ai.sentryagent.agentidp.observability.Metrics;
import io.vertx.core.Future;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
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
 *
 * <p>An attempt that claims a {@link SingleUse} (an assertion's {@code jti}) is never answered from memory: only
 * Redis knows whether the value was used on another task. While degraded, the local limiter claims it with a call
 * of its own (so an assertion works again as soon as Redis does); when the shared script fails, the attempt fails
 * with {@link Outages.DependencyDown} (503) and is not retried as a separate claim — a script that timed out may have
 * run, and the retry would take the client's first use for a replay.
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
        return shared(() -> redis.attempt(attempt, limits), down -> local.attempt(attempt, limits));
    }

    @Override
    public Future<Claimed> attempt(Attempt attempt, Limits limits, SingleUse once) {
        if (degraded && !claimProbe()) {
            return local.attempt(attempt, limits, once);
        }
        return shared(
                () -> redis.attempt(attempt, limits, once),
                down -> Future.failedFuture(new Outages.DependencyDown("Redis", down)));
    }

    /** The shared limiter's answer; {@code whenDown} once its failure says Redis is gone (and degraded mode began). */
    private <T> Future<T> shared(Supplier<Future<T>> call, Function<Throwable, Future<T>> whenDown) {
        long sentAt = clock.getAsLong();
        return call.get().transform(result -> {
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
            return whenDown.apply(cause);
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
