package ai.sentryagent.agentidp.federation;

import ai.sentryagent.agentidp.store.ChangeNotifications;
import ai.sentryagent.agentidp.store.NotifiedCache;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The jwt-bearer grant's view of trust policies: the policies of one issuer, answered from memory so that a token
 * costs no database round trip (issue 16: one query per token held the grant at 0.65× the client-secret path).
 *
 * <p>Kept fresh by {@link NotifiedCache}'s rules, as {@code credential/ClientDirectory} is: migration V11's trigger notifies {@link #CHANNEL} with
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

    private final Function<String, Future<Optional<List<TrustPolicy>>>> lookup;
    private final NotifiedCache<List<TrustPolicy>> cache;

    /** {@code maxAge} zero disables caching. {@code lookup} is the database side (the query, or a test's stand-in). */
    TrustPolicyDirectory(
            Function<String, Future<List<TrustPolicy>>> lookup, Clock clock, Duration maxAge, int maxEntries) {
        // An issuer without policies is the cache's "absent" answer, kept apart from the issuers with some.
        this.lookup = issuer -> lookup.apply(issuer)
                .map(found -> found.isEmpty() ? Optional.<List<TrustPolicy>>empty() : Optional.of(List.copyOf(found)));
        this.cache = new NotifiedCache<>(clock, maxAge, maxEntries);
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
            notifications.subscribe(CHANNEL, directory::changed, directory.cache::live);
        }
        return directory;
    }

    /** Every policy naming exactly this issuer: the candidates for one assertion; empty when there is none. */
    public Future<List<TrustPolicy>> forIssuer(String issuer) {
        if (issuer.length() > MAX_ISSUER_LENGTH && issuer.codePointCount(0, issuer.length()) > MAX_ISSUER_LENGTH) {
            return Future.succeededFuture(List.of()); // no policy can name it
        }
        return cache.get(issuer, lookup).map(found -> found.orElse(List.of()));
    }

    /** A change notification, or a write by this task: one issuer, or {@code *} for all. */
    public void changed(String issuer) {
        cache.changed(issuer);
    }

    /** Whether change notifications are arriving; only then are answers kept, and only then used. */
    void live(boolean live) {
        cache.live(live);
    }

    public boolean live() {
        return cache.live();
    }
}
