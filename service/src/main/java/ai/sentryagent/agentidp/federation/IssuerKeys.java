package ai.sentryagent.agentidp.federation;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The public keys of the issuers trust policies name, fetched over HTTPS with Vert.x's client (never blocking an event
 * loop) and cached per source.
 *
 * <ul>
 *   <li>Every fetch: 2 s in all, 64 KiB at most, no redirects (a redirect is a failure: the policy names where keys
 *       live), HTTPS only unless {@link FetchRules} allows loopback HTTP.
 *   <li>Kept as long as {@code Cache-Control: max-age} says, clamped to [60 s, 24 h]; 5 min without one. When a
 *       refresh fails the expired keys serve for {@link #STALE_IF_ERROR} more (an issuer's outage should not stop
 *       every workload at once; a key it revoked is still refused once that time is up).
 *   <li>One fetch per source at a time: concurrent requests wait on the same future (single flight).
 *   <li>An unknown {@code kid} (the issuer rotated) triggers {@link #refreshed} — at most once per 30 s per source, so
 *       tokens with invented key ids cannot make this service hammer the issuer.
 * </ul>
 */
public final class IssuerKeys {
    static final Duration FETCH_TIMEOUT = Duration.ofSeconds(2);
    static final int MAX_BYTES = 64 * 1024;
    static final Duration MIN_TTL = Duration.ofSeconds(60);
    static final Duration MAX_TTL = Duration.ofHours(24);
    static final Duration DEFAULT_TTL = Duration.ofMinutes(5);
    static final Duration STALE_IF_ERROR = Duration.ofHours(1);
    static final Duration REFRESH_INTERVAL = Duration.ofSeconds(30);

    private final Vertx vertx;
    private final HttpClient client;
    private final FetchRules rules;
    private final Clock clock;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /** A failure to get keys; its message is ASCII, names no key material, and may be shown to the client. */
    public static final class KeysUnavailable extends RuntimeException {
        KeysUnavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** One source's cached keys and fetch state; guarded by its own monitor (event loops share this object). */
    private static final class Entry {
        JWKSet keys;
        Instant expiresAt = Instant.MIN;
        Instant lastRefresh = Instant.MIN;
        Future<JWKSet> inflight;
    }

    public IssuerKeys(Vertx vertx, HttpClientOptions options, FetchRules rules, Clock clock) {
        this.vertx = vertx;
        this.client = vertx.createHttpClient(options.setConnectTimeout((int) FETCH_TIMEOUT.toMillis())
                .setMaxRedirects(0)
                .setKeepAlive(true));
        this.rules = rules;
        this.clock = clock;
    }

    /** The production client: the JVM's trust store, host names verified. */
    public static IssuerKeys create(Vertx vertx, FetchRules rules) {
        return new IssuerKeys(vertx, new HttpClientOptions().setVerifyHost(true), rules, Clock.systemUTC());
    }

    /** The keys of {@code source}: cached while fresh, else fetched (or being fetched). */
    public Future<JWKSet> keys(TrustPolicy.KeySource source) {
        if (source instanceof TrustPolicy.KeySource.Inline inline) {
            return Future.succeededFuture(inline.keys());
        }
        Entry entry = entries.computeIfAbsent(source.id(), id -> new Entry());
        synchronized (entry) {
            if (entry.keys != null && clock.instant().isBefore(entry.expiresAt)) {
                return Future.succeededFuture(entry.keys);
            }
            return entry.inflight != null ? entry.inflight : fetch(entry, source);
        }
    }

    /**
     * The keys after an unknown {@code kid}: fetched again unless such a refetch of this source started less than
     * 30 s ago, in which case the keys already held are the answer. Expiry-driven fetches do not count: a rotation
     * right after the first fetch is still seen at once.
     */
    public Future<JWKSet> refreshed(TrustPolicy.KeySource source) {
        if (source instanceof TrustPolicy.KeySource.Inline inline) {
            return Future.succeededFuture(inline.keys());
        }
        Entry entry = entries.computeIfAbsent(source.id(), id -> new Entry());
        synchronized (entry) {
            if (entry.inflight != null) {
                return entry.inflight;
            }
            if (entry.keys != null && clock.instant().isBefore(entry.lastRefresh.plus(REFRESH_INTERVAL))) {
                return Future.succeededFuture(entry.keys);
            }
            entry.lastRefresh = clock.instant();
            return fetch(entry, source);
        }
    }

    /** Called holding the entry's monitor. */
    private Future<JWKSet> fetch(Entry entry, TrustPolicy.KeySource source) {
        Future<Fetched> fetched = source instanceof TrustPolicy.KeySource.Discovery discovery
                ? get(discovery.issuer().replaceAll("/+$", "") + "/.well-known/openid-configuration", "discovery")
                        .compose(IssuerKeys::jwksUri)
                        .compose(uri -> get(uri, "JWKS"))
                : get(((TrustPolicy.KeySource.Uri) source).uri(), "JWKS");
        Promise<JWKSet> result = Promise.promise();
        entry.inflight = result.future();
        fetched.compose(IssuerKeys::parse).onComplete(done -> {
            synchronized (entry) {
                entry.inflight = null;
                Instant now = clock.instant();
                if (done.succeeded()) {
                    entry.keys = done.result().keys();
                    entry.expiresAt = now.plus(done.result().ttl());
                    result.complete(entry.keys);
                } else if (entry.keys != null && now.isBefore(entry.expiresAt.plus(STALE_IF_ERROR))) {
                    result.complete(entry.keys); // stale-if-error
                } else {
                    result.fail(done.cause());
                }
            }
        });
        return result.future();
    }

    private record Fetched(Buffer body, Duration ttl) {}

    private record Parsed(JWKSet keys, Duration ttl) {}

    /** One GET under every limit of the class comment. */
    private Future<Fetched> get(String url, String what) {
        var problem = rules.problem(url);
        if (problem.isPresent()) {
            return Future.failedFuture(new KeysUnavailable("the issuer's " + what + " URL " + problem.get()));
        }
        Promise<Fetched> promise = Promise.promise();
        long timer = vertx.setTimer(
                FETCH_TIMEOUT.toMillis(),
                id -> promise.tryFail(new KeysUnavailable("the issuer's " + what + " endpoint did not answer within "
                        + FETCH_TIMEOUT.toSeconds() + " s")));
        client.request(new RequestOptions()
                        .setMethod(HttpMethod.GET)
                        .setAbsoluteURI(url)
                        .setFollowRedirects(false)
                        .putHeader(HttpHeaders.ACCEPT, "application/json"))
                .onFailure(e ->
                        promise.tryFail(new KeysUnavailable("the issuer's " + what + " endpoint cannot be reached")))
                .onSuccess(request -> {
                    promise.future().onFailure(e -> request.reset());
                    request.send()
                            .onFailure(e -> promise.tryFail(
                                    new KeysUnavailable("the issuer's " + what + " endpoint cannot be reached")))
                            .onSuccess(response -> {
                                // Set first: a refused response is reset below, and its reset is no error to log.
                                response.exceptionHandler(e -> promise.tryFail(
                                        new KeysUnavailable("the issuer's " + what + " response was cut off")));
                                if (response.statusCode() != 200) {
                                    promise.tryFail(new KeysUnavailable("the issuer's " + what + " endpoint answered "
                                            + response.statusCode()
                                            + (response.statusCode() / 100 == 3
                                                    ? " (redirects are not followed)"
                                                    : "")));
                                    return;
                                }
                                String length = response.getHeader(HttpHeaders.CONTENT_LENGTH);
                                if (length != null && length.length() > 9
                                        || length != null
                                                && length.matches("\\d+")
                                                && Long.parseLong(length) > MAX_BYTES) {
                                    promise.tryFail(tooLarge(what));
                                    return;
                                }
                                Buffer body = Buffer.buffer();
                                response.handler(chunk -> {
                                    if (body.length() + chunk.length() > MAX_BYTES) {
                                        promise.tryFail(tooLarge(what));
                                    } else {
                                        body.appendBuffer(chunk);
                                    }
                                });
                                response.endHandler(end -> promise.tryComplete(
                                        new Fetched(body, ttl(response.getHeader(HttpHeaders.CACHE_CONTROL)))));
                            });
                });
        return promise.future().andThen(done -> vertx.cancelTimer(timer));
    }

    private static KeysUnavailable tooLarge(String what) {
        return new KeysUnavailable("the issuer's " + what + " document exceeds " + MAX_BYTES / 1024 + " KiB");
    }

    /** {@code max-age} clamped to [60 s, 24 h]; {@code no-store}/{@code no-cache} count as the minimum. */
    static Duration ttl(String cacheControl) {
        if (cacheControl == null) {
            return DEFAULT_TTL;
        }
        Duration ttl = DEFAULT_TTL;
        for (String directive : cacheControl.split(",")) {
            String d = directive.trim().toLowerCase(java.util.Locale.ROOT);
            if (d.equals("no-store") || d.equals("no-cache")) {
                return MIN_TTL;
            }
            if (d.startsWith("max-age=")) {
                String value = d.substring("max-age=".length()).replace("\"", "");
                if (value.matches("\\d{1,12}")) {
                    ttl = Duration.ofSeconds(Long.parseLong(value));
                }
            }
        }
        return ttl.compareTo(MIN_TTL) < 0 ? MIN_TTL : ttl.compareTo(MAX_TTL) > 0 ? MAX_TTL : ttl;
    }

    private static Future<String> jwksUri(Fetched discovery) {
        try {
            Object uri = new JsonObject(discovery.body()).getValue("jwks_uri");
            return uri instanceof String text
                    ? Future.succeededFuture(text)
                    : Future.failedFuture(new KeysUnavailable("the issuer's discovery document has no jwks_uri"));
        } catch (DecodeException | ClassCastException e) {
            return Future.failedFuture(new KeysUnavailable("the issuer's discovery document is not a JSON object"));
        }
    }

    private static Future<Parsed> parse(Fetched fetched) {
        try {
            return Future.succeededFuture(new Parsed(publicKeys(fetched.body().toString()), fetched.ttl()));
        } catch (ParseException e) {
            return Future.failedFuture(new KeysUnavailable("the issuer's JWKS is not a valid JWK set"));
        }
    }

    /**
     * The asymmetric public keys of a JWK set (RFC 7517 §5): symmetric keys are dropped — a shared key an issuer
     * publishes is no proof of anything — and private members are never kept.
     */
    public static JWKSet publicKeys(String json) throws ParseException {
        List<JWK> keys = JWKSet.parse(json).getKeys().stream()
                .filter(key -> !KeyType.OCT.equals(key.getKeyType()))
                .map(JWK::toPublicJWK)
                .toList();
        return new JWKSet(keys);
    }

    public Future<Void> close() {
        return client.close();
    }
}
