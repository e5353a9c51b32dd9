package ai.sentryagent.agentidp.federation;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An external identity provider for tests: real keys generated here, its JWKS and OpenID discovery document served
 * by a real Vert.x HTTP(S) server on loopback, and tokens signed the way GitHub Actions, SPIRE and others sign them.
 * Paths that misbehave on purpose: {@code /big/jwks} (over 64 KiB), {@code /slow/jwks} (never answers),
 * {@code /redirect/jwks} (302 to the good JWKS).
 */
final class IssuerFixture implements AutoCloseable {
    final Vertx vertx = Vertx.vertx();
    final AtomicReference<JWKSet> published = new AtomicReference<>();
    final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    /** While true, {@code /jwks} answers 503: the issuer is down. */
    final java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean();

    private final HttpServer server;
    final String base;

    IssuerFixture(HttpServerOptions options, String scheme) throws Exception {
        server = vertx.createHttpServer(options.setHost("127.0.0.1")).requestHandler(request -> {
            String path = request.path();
            hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            switch (path) {
                case "/jwks" -> {
                    if (down.get()) {
                        request.response().setStatusCode(503).end();
                        return;
                    }
                    request.response()
                            .putHeader("Content-Type", "application/json")
                            .putHeader("Cache-Control", "max-age=300")
                            .end(new JsonObject(published.get().toJSONObject(true)).encode());
                }
                case "/.well-known/openid-configuration" ->
                    request.response()
                            .putHeader("Content-Type", "application/json")
                            .end(new JsonObject()
                                    .put("issuer", base())
                                    .put("jwks_uri", base() + "/jwks")
                                    .encode());
                case "/big/jwks" ->
                    request.response()
                            .putHeader("Content-Type", "application/json")
                            .setChunked(true)
                            .end(Buffer.buffer("{\"keys\":[],\"pad\":\"" + "x".repeat(100 * 1024) + "\"}"));
                case "/slow/jwks" -> {
                    // Headers never come: the fetch must give up on its own deadline.
                }
                case "/redirect/jwks" ->
                    request.response()
                            .setStatusCode(302)
                            .putHeader("Location", base() + "/jwks")
                            .end();
                default -> request.response().setStatusCode(404).end();
            }
        });
        server.listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        base = scheme + "://127.0.0.1:" + server.actualPort();
    }

    private String base() {
        return base;
    }

    int hits(String path) {
        AtomicInteger count = hits.get(path);
        return count == null ? 0 : count.get();
    }

    static RSAKey rsa(String kid) throws JOSEException {
        return new RSAKeyGenerator(2048).keyID(kid).generate();
    }

    static ECKey ec(String kid) throws JOSEException {
        return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
    }

    void publish(JWK... keys) {
        published.set(new JWKSet(List.of(keys)));
    }

    static String sign(JWK key, JWTClaimsSet claims) throws JOSEException {
        JWSAlgorithm alg = key instanceof ECKey ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256;
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(alg)
                        .keyID(key.getKeyID())
                        .type(JOSEObjectType.JWT)
                        .build(),
                claims);
        jwt.sign(key instanceof ECKey ec ? new ECDSASigner(ec) : new RSASSASigner((RSAKey) key));
        return jwt.serialize();
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
