package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.OAuthException;
import ai.sentryagent.agentidp.token.TokenIssuer;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code POST /api/v1/token}: the client credentials grant (RFC 6749 §4.4) issuing RFC 9068 access tokens. */
public final class TokenEndpoint implements Handler<RoutingContext> {
    static final String CLIENT_CREDENTIALS = "client_credentials";

    private final ClientAuthenticator authenticator;
    private final TokenIssuer issuer;

    public TokenEndpoint(ClientAuthenticator authenticator, TokenIssuer issuer) {
        this.authenticator = authenticator;
        this.issuer = issuer;
    }

    @Override
    public void handle(RoutingContext rc) {
        FormBody form = FormBody.parse(rc.body().asString());
        ClientCredentials presented = ClientCredentials.from(rc, form);
        String grantType = form.require("grant_type");
        if (!grantType.equals(CLIENT_CREDENTIALS)) {
            throw OAuthException.unsupportedGrantType("only client_credentials is supported");
        }
        authenticator
                .authenticate(presented.clientId(), presented.secret())
                .onSuccess(client -> {
                    if (client.isEmpty()) {
                        rc.fail(OAuthException.invalidClient("client authentication failed", presented.basic()));
                        return;
                    }
                    try {
                        TokenIssuer.Issued issued = issuer.issue(
                                client.get(),
                                form.has("scope")
                                        ? java.util.Optional.of(
                                                form.get("scope").orElse(""))
                                        : java.util.Optional.empty());
                        rc.response()
                                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                .end(new JsonObject()
                                        .put("access_token", issued.jwt())
                                        .put("token_type", "Bearer")
                                        .put("expires_in", issued.expiresIn())
                                        .put("scope", issued.claims().scope())
                                        .encode());
                    } catch (OAuthException e) {
                        rc.fail(e);
                    }
                })
                .onFailure(rc::fail);
    }
}
