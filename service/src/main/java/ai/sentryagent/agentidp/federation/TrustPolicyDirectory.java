package ai.sentryagent.agentidp.federation;

import ai.sentryagent.agentidp.store.ChangeNotifications;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The jwt-bearer grant's view of trust policies: the policies of one issuer, answered from memory so that a token
 * costs no database round trip (issue 16: one query per token held the grant at 0.65× the client-secret path).
 *
 * <p>Kept fresh the way {@code credential/ClientDirectory} is: migration V11's trigger notifies {@link #CHANNEL} with
 * the issuer of every inserted, updated or deleted policy, after commit; the notification drops that issuer on every
 * task. A write made by this task ({@link PgTrustPolicyStore}) drops its issuer before the write's caller goes on, so
 * a deleted policy no longer matches on the deleting task from its next request. While the notification connection is
 * down or not yet established the cache is cleared and bypassed — every request reads PostgreSQL — because an entry
 * kept then could outlive a deletion nobody heard of. An entry also ends after {@code maxAge} at most, the bound on
 * staleness should the connection die unnoticed.
 *
 * <p>Issuers without a policy are remembered too, in a cache of their own, so an assertion naming an invented issuer
 * costs no query either; however many a sprayer invents, the cache's size bound holds and no issuer with policies is
 * evicted for them. An issuer longer than any policy may name (512 characters, V8's check) is answered "none" without
 * a query and without being kept, so the size bound also bounds the memory.
 */
public final class TrustPolicyDirectory {
    /** The PostgreSQL notification channel; the payload is an issuer, or {@code *} for every issuer. */
    public static final String CHANNEL = "agentidp_trust_policy_changed";
    /** V8: {@code length(issuer) BETWEEN 1 AND 512}, in characters (code points). */
    static final int MAX_ISSUER_LENGTH = 512;

    private final Function<String, Future<List<TrustPolicy>>> lookup;
    private final Clock clock;
    private final Duration maxAge;
    private final Cache<String, List<TrustPolicy>> known;
    private final Cache<String, Boolean> unknown;
    /** Bumped by every change: a lookup that started before one is not kept. */
    private final AtomicLong generation = new AtomicLong();

    private volatile boolean live;

    /** {@code maxAge} zero disables caching. {@code lookup} is the database side (the query, or a test's stand-in). */
    TrustPolicyDirectory(
            Function<String, Future<List<TrustPolicy>>> lookup, Clock clock, Duration maxAge, int maxEntries) {
        this.lookup = lookup;
        this.clock = clock;
        this.maxAge = maxAge;
        this.known = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .ticker(this::nanos)
                .executor(Runnable::run)
                .expireAfterWrite(maxAge)
                .build();
        this.unknown = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .ticker(this::nanos)
                .executor(Runnable::run)
                .expireAfterWrite(maxAge)
                .build();
    }

    /**
     * The directory on PostgreSQL; unless {@code maxAge} is zero it subscribes to {@code notifications} (started by
     * the caller once every cache has subscribed), and caches once the {@code LISTEN} is in place.
     */
    public static TrustPolicyDirectory start(
            Pool pool, ChangeNotifications notifications, Clock clock, Duration maxAge, int maxEntries) {
        TrustPolicyDirectory directory = new TrustPolicyDirectory(
                issuer -> PgTrustPolicyStore.forIssuer(pool, issuer), clock, maxAge, maxEntries);
        if (!maxAge.isZero()) {
            notifications.subscribe(CHANNEL, directory::changed, directory::live);
        }
        return directory;
    }

    /** Every policy naming exactly this issuer: the candidates for one assertion; empty when there is none. */
    public Future<List<TrustPolicy>> forIssuer(String issuer) {
        if (issuer.length() > MAX_ISSUER_LENGTH && issuer.codePointCount(0, issuer.length()) > MAX_ISSUER_LENGTH) {
            return Future.succeededFuture(List.of()); // no policy can name it
        }
        if (live) {
            List<TrustPolicy> cached = known.getIfPresent(issuer);
            if (cached != null) {
                return Future.succeededFuture(cached);
            }
            if (unknown.getIfPresent(issuer) != null) {
                return Future.succeededFuture(List.of());
            }
        }
        long before = generation.get();
        return lookup.apply(issuer).map(List::copyOf).onSuccess(found -> keep(issuer, found, before));
    }

    private void keep(String issuer, List<TrustPolicy> found, long generationAtRead) {
        if (!live || maxAge.isZero() || generation.get() != generationAtRead) {
            return; // a change was notified while the query ran: its answer may be from before it
        }
        if (found.isEmpty()) {
            unknown.put(issuer, Boolean.TRUE);
        } else {
            known.put(issuer, found);
        }
        if (generation.get() != generationAtRead) { // a change arrived while storing
            known.invalidate(issuer);
            unknown.invalidate(issuer);
        }
    }

    /** A change notification, or a write by this task: one issuer, or {@code *} for all. */
    public void changed(String issuer) {
        generation.incrementAndGet();
        if ("*".equals(issuer)) {
            known.invalidateAll();
            unknown.invalidateAll();
        } else {
            known.invalidate(issuer);
            unknown.invalidate(issuer);
        }
    }

    /** Whether change notifications are arriving; only then are answers kept, and only then used. */
    void live(boolean live) {
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
