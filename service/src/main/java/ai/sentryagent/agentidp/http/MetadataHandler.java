package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.credential.PublicJwk;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * RFC 8414 authorization server metadata, served at {@code /.well-known/oauth-authorization-server} and, for
 * clients that only know OpenID discovery, at {@code /.well-known/openid-configuration}.
 */
public final class MetadataHandler implements Handler<RoutingContext> {
    private final String body;

    public MetadataHandler(String issuer, Scopes scopes) {
        JsonArray authMethods = new JsonArray()
                .add("client_secret_basic")
                .add("client_secret_post")
                .add("private_key_jwt");
        // RFC 8414 §2: the algorithms a private_key_jwt assertion may be signed with (never none, never HS*).
        JsonArray assertionAlgs = new JsonArray(PublicJwk.ALGORITHMS);
        this.body = new JsonObject()
                .put("issuer", issuer)
                .put("token_endpoint", issuer + "/api/v1/token")
                .put("jwks_uri", issuer + "/.well-known/jwks.json")
                .put("introspection_endpoint", issuer + "/api/v1/token/introspect")
                .put("revocation_endpoint", issuer + "/api/v1/token/revoke")
                .put(
                        "grant_types_supported",
                        new JsonArray()
                                .add("client_credentials")
                                .add("urn:ietf:params:oauth:grant-type:jwt-bearer")
                                .add("urn:ietf:params:oauth:grant-type:token-exchange"))
                .put("response_types_supported", new JsonArray())
                .put("token_endpoint_auth_methods_supported", authMethods)
                .put("token_endpoint_auth_signing_alg_values_supported", assertionAlgs)
                .put("introspection_endpoint_auth_methods_supported", authMethods.copy())
                .put("introspection_endpoint_auth_signing_alg_values_supported", assertionAlgs.copy())
                .put("revocation_endpoint_auth_methods_supported", authMethods.copy())
                .put("revocation_endpoint_auth_signing_alg_values_supported", assertionAlgs.copy())
                .put("scopes_supported", new JsonArray(scopes.all()))
                .encode();
    }

    @Override
    public void handle(RoutingContext rc) {
        rc.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=300")
                .end(body);
    }
}
