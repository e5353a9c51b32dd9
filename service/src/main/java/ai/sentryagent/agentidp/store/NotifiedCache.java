package ai.sentryagent.agentidp.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * PostgreSQL answers kept in memory only while PostgreSQL's change notifications arrive ({@link
 * ChangeNotifications}) — the freshness rules the client directory and the trust-policy directory share:
 *
 * <ul>
 *   <li>an answer is used, and kept, only while the notification connection is {@link #live live}; losing or
 *       regaining it drops everything;
 *   <li>a change (a notification, or a write by this task, before its caller goes on) drops its key, or everything
 *       for {@code *}; a lookup that overlapped a change is not kept, since its answer may be from before it;
 *   <li>"absent" answers are kept in a cache of their own, so however many keys a guesser sprays, no present entry
 *       is evicted for them, and a guess costs what a hit does;
 *   <li>both caches are bounded in size and an entry ends after {@code maxAge} at most (or earlier, per {@code
 *       lifetime}) — the bound on staleness should the connection die unnoticed; {@code maxAge} zero keeps nothing.
 * </ul>
 *
 * Completed values only; nothing here blocks the event loop.
 */
public final class NotifiedCache<V> {
    private final Clock clock;
    private final Duration maxAge;
    private final Cache<String, V> known;
    private final Cache<String, Boolean> unknown;
    /** Bumped by every change: a lookup that started before one is not kept. */
    private final AtomicLong generation = new AtomicLong();

    private volatile boolean live;

    /** {@code lifetime}: how long a value may be kept, in nanoseconds, at most {@code maxAge}'s. */
    public NotifiedCache(Clock clock, Duration maxAge, int maxEntries, ToLongFunction<V> lifetime) {
        this.clock = clock;
        this.maxAge = maxAge;
        long maxAgeNanos = maxAge.toNanos();
        this.known = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .ticker(this::nanos)
                .executor(Runnable::run)
                .expireAfter(new Expiry<String, V>() {
                    @Override
                    public long expireAfterCreate(String key, V value, long now) {
                        return Math.min(maxAgeNanos, lifetime.applyAsLong(value));
                    }

                    @Override
                    public long expireAfterUpdate(String key, V value, long now, long remaining) {
                        return Math.min(maxAgeNanos, lifetime.applyAsLong(value));
                    }

                    @Override
                    public long expireAfterRead(String key, V value, long now, long remaining) {
                        return remaining;
                    }
                })
                .build();
        this.unknown = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .ticker(this::nanos)
                .executor(Runnable::run)
                .expireAfterWrite(maxAge)
                .build();
    }

    /** Every value kept for {@code maxAge}. */
    public NotifiedCache(Clock clock, Duration maxAge, int maxEntries) {
        this(clock, maxAge, maxEntries, value -> Long.MAX_VALUE);
    }

    /** The value for {@code key}: from memory while live, else from {@code lookup} (and kept, if nothing changed). */
    public Future<Optional<V>> get(String key, Function<String, Future<Optional<V>>> lookup) {
        if (live) {
            V cached = known.getIfPresent(key);
            if (cached != null) {
                return Future.succeededFuture(Optional.of(cached));
            }
            if (unknown.getIfPresent(key) != null) {
                return Future.succeededFuture(Optional.empty());
            }
        }
        long before = generation.get();
        return lookup.apply(key).onSuccess(found -> keep(key, found, before));
    }

    private void keep(String key, Optional<V> found, long generationAtRead) {
        if (!live || maxAge.isZero() || generation.get() != generationAtRead) {
            return; // a change was notified while the query ran: its answer may be from before it
        }
        if (found.isPresent()) {
            known.put(key, found.get());
        } else {
            unknown.put(key, Boolean.TRUE);
        }
        if (generation.get() != generationAtRead) { // a change arrived while storing
            known.invalidate(key);
            unknown.invalidate(key);
        }
    }

    /** A change to one key, or {@code *} for all. */
    public void changed(String key) {
        generation.incrementAndGet();
        if ("*".equals(key)) {
            known.invalidateAll();
            unknown.invalidateAll();
        } else {
            known.invalidate(key);
            unknown.invalidate(key);
        }
    }

    /** A change to {@code key} and to every kept value {@code affected} matches, whatever its key. */
    public void changed(String key, Predicate<V> affected) {
        generation.incrementAndGet();
        known.asMap().values().removeIf(affected);
        known.invalidate(key);
        unknown.invalidate(key);
    }

    /** Whether change notifications are arriving; only then are answers kept, and only then used. */
    public void live(boolean live) {
        generation.incrementAndGet();
        this.live = live;
        known.invalidateAll();
        unknown.invalidateAll();
    }

    public boolean live() {
        return live;
    }

    private long nanos() {
        Instant now = clock.instant();
        return TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano();
    }
}
