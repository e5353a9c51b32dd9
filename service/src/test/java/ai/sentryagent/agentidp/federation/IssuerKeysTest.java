package ai.sentryagent.agentidp.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SelfSignedCertificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fetching issuer keys over real HTTPS: a Vert.x server on loopback with a self-signed certificate for
 * {@code localhost} that only this client trusts — the production path (TLS, host name verification) without
 * switching anything off.
 */
class IssuerKeysTest {
    private static final SelfSignedCertificate CERTIFICATE = SelfSignedCertificate.create("localhost");
    private static IssuerFixture issuer;
    private static Vertx vertx;
    private static RSAKey key;

    @BeforeAll
    static void start() throws Exception {
        issuer = new IssuerFixture(
                new HttpServerOptions().setSsl(true).setKeyCertOptions(CERTIFICATE.keyCertOptions()), "https");
        key = IssuerFixture.rsa("tls-1");
        issuer.publish(key.toPublicJWK());
        vertx = Vertx.vertx();
        // The first TLS handshake of a cold JVM on a loaded machine can take longer than the fetch's 2 s budget;
        // paid once here, so each test measures its own behaviour, not the JIT.
        trusting()
                .keys(new TrustPolicy.KeySource.Uri(localhost("/jwks?warm-up")))
                .otherwiseEmpty()
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        issuer.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static IssuerKeys trusting() {
        return new IssuerKeys(
                vertx,
                new HttpClientOptions()
                        .setTrustOptions(CERTIFICATE.trustOptions())
                        .setVerifyHost(true),
                new FetchRules(false),
                Clock.systemUTC());
    }

    private static String localhost(String path) {
        return issuer.base.replace("127.0.0.1", "localhost") + path;
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void fetchesOverHttpsWithATrustedCertificate() throws Exception {
        JWKSet keys = await(trusting().keys(new TrustPolicy.KeySource.Uri(localhost("/jwks"))));
        assertThat(keys.getKeyByKeyId("tls-1")).isNotNull();
        assertThat(keys.getKeyByKeyId("tls-1").isPrivate()).isFalse();
    }

    @Test
    void anUntrustedCertificateIsRefused() {
        // The JVM's trust store does not know the self-signed certificate: an impostor's TLS endpoint.
        IssuerKeys production = IssuerKeys.create(vertx, new FetchRules(false));
        assertThatThrownBy(() -> await(production.keys(new TrustPolicy.KeySource.Uri(localhost("/jwks")))))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IssuerKeys.KeysUnavailable.class);
    }

    @Test
    void aCertificateForAnotherNameIsRefused() {
        // RFC 9110 §4.3.4: the certificate must name the host; it names localhost, not 127.0.0.1.
        assertThatThrownBy(() -> await(trusting().keys(new TrustPolicy.KeySource.Uri(issuer.base + "/jwks"))))
                .hasCauseInstanceOf(IssuerKeys.KeysUnavailable.class);
    }

    @Test
    void concurrentRequestsShareOneFetch() throws Exception {
        IssuerKeys keys = trusting();
        String url = localhost("/jwks?single-flight");
        int before = issuer.hits("/jwks");
        List<Future<JWKSet>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            all.add(keys.keys(new TrustPolicy.KeySource.Uri(url)));
        }
        await(Future.all(all));
        assertThat(issuer.hits("/jwks") - before).isEqualTo(1);
    }

    /** A clock the test moves: cache expiry without waiting. */
    private static final class MovableClock extends Clock {
        private volatile java.time.Instant now = java.time.Instant.now();

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return now;
        }
    }

    @Test
    void expiredKeysServeForABoundedTimeWhileTheIssuerIsDown() throws Exception {
        MovableClock clock = new MovableClock();
        IssuerKeys keys = new IssuerKeys(
                vertx,
                new HttpClientOptions().setTrustOptions(CERTIFICATE.trustOptions()),
                new FetchRules(false),
                clock);
        TrustPolicy.KeySource source = new TrustPolicy.KeySource.Uri(localhost("/jwks?stale"));
        assertThat(await(keys.keys(source)).getKeyByKeyId("tls-1")).isNotNull();
        issuer.down.set(true);
        try {
            // Past the fixture's max-age=300: a refresh is due and fails; the expired keys still answer.
            clock.advance(Duration.ofMinutes(6));
            assertThat(await(keys.keys(source)).getKeyByKeyId("tls-1")).isNotNull();
            // Past the stale-if-error bound: a key the issuer may have withdrawn is no longer trusted.
            clock.advance(IssuerKeys.STALE_IF_ERROR);
            assertThatThrownBy(() -> await(keys.keys(source)))
                    .hasCauseInstanceOf(IssuerKeys.KeysUnavailable.class)
                    .cause()
                    .hasMessageContaining("answered 503");
        } finally {
            issuer.down.set(false);
        }
    }

    @Test
    void plainHttpIsRefusedWithoutTheLoopbackFlag() {
        assertThat(new FetchRules(false).problem("http://127.0.0.1:8080/jwks"))
                .get()
                .asString()
                .contains("https");
        assertThat(new FetchRules(true).problem("http://127.0.0.1:8080/jwks")).isEmpty();
        assertThat(new FetchRules(true).problem("http://[::1]:8080/jwks")).isEmpty();
        // A name that merely looks local is resolved by whoever runs DNS: never trusted as loopback.
        assertThat(new FetchRules(true).problem("http://127.0.0.1.nip.io/jwks")).isPresent();
        assertThat(new FetchRules(true).problem("http://keys.example.com/jwks")).isPresent();
        assertThat(new FetchRules(true).problem("https://user:pw@keys.example.com/jwks"))
                .isPresent();
    }

    @Test
    void cacheLifetimeFollowsCacheControlWithinBounds() {
        // RFC 9111 §5.2.2.1 max-age, clamped to [60 s, 24 h]: an issuer cannot make keys live a year or be
        // refetched on every request.
        assertThat(IssuerKeys.ttl(null)).isEqualTo(Duration.ofMinutes(5));
        assertThat(IssuerKeys.ttl("public, max-age=3600")).isEqualTo(Duration.ofHours(1));
        assertThat(IssuerKeys.ttl("max-age=1")).isEqualTo(Duration.ofSeconds(60));
        assertThat(IssuerKeys.ttl("max-age=31536000")).isEqualTo(Duration.ofHours(24));
        assertThat(IssuerKeys.ttl("no-store")).isEqualTo(Duration.ofSeconds(60));
    }
}
