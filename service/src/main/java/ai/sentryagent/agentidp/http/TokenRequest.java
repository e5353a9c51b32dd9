package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * A request to introspect or revoke a token (RFC 7662 §2.1, RFC 7009 §2.1): the {@code token} parameter and the
 * client that authenticated to send it, with the same failure limits and audit as the token endpoint.
 */
record TokenRequest(String token, ClientRecord caller) {

    /**
     * Reads and authenticates the request; {@code next} gets it only when a client authenticated, every refusal is
     * answered by {@link OAuthOutcomes#refuse}.
     */
    static void authenticate(
            RoutingContext rc, ClientAuthenticator authenticator, OAuthOutcomes outcomes, Handler<TokenRequest> next) {
        FormBody form = FormBody.parse(rc.body().asString());
        ClientAuthenticator.Presented presented = TokenEndpoint.presented(
                rc, ClientAuthenticator.credential(rc.request().getHeader(HttpHeaders.AUTHORIZATION), form));
        String token = form.require("token");
        authenticator
                .authenticate(presented, false)
                .onSuccess(authentication -> authentication.<Void>fold(
                        authenticated -> {
                            next.handle(new TokenRequest(token, authenticated.client()));
                            return null;
                        },
                        refused -> {
                            outcomes.refuse(rc, presented, refused);
                            return null;
                        }))
                .onFailure(rc::fail);
    }
}
