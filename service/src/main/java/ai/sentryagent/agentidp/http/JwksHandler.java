package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.crypto.SigningKeys;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;

/** {@code GET /.well-known/jwks.json}: the public keys (current first), cacheable for five minutes. */
public final class JwksHandler implements Handler<RoutingContext> {
    private final String body;

    public JwksHandler(SigningKeys keys) {
        JsonArray jwks = new JsonArray();
        for (SigningKeys.VerificationKey key : keys.verificationKeys()) {
            jwks.add(new JsonObject(new LinkedHashMap<String, Object>(key.jwk())));
        }
        this.body = new JsonObject().put("keys", jwks).encode();
    }

    @Override
    public void handle(RoutingContext rc) {
        rc.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/jwk-set+json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=300")
                .end(body);
    }
}
