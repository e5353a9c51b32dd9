package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.crypto.SigningKeys;
import com.nimbusds.jose.jwk.JWKSet;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /.well-known/jwks.json}: the public keys (current first), cacheable for five minutes. */
public final class JwksHandler implements Handler<RoutingContext> {
    private final String body;

    public JwksHandler(SigningKeys keys) {
        // Nimbus renders the public members only (RFC 7517 §5); built once, the keys do not change while running.
        this.body = new JWKSet(keys.verificationKeys().stream()
                        .map(SigningKeys.VerificationKey::jwk)
                        .toList())
                .toString(true);
    }

    @Override
    public void handle(RoutingContext rc) {
        rc.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/jwk-set+json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=300")
                .end(body);
    }
}
