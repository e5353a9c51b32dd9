package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.OAuthException;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

/**
 * A request to introspect or revoke a token (RFC 7662, RFC 7009): the {@code token} parameter and the client that
 * authenticated to send it. Unauthenticated requests fail with {@code invalid_client}.
 */
record TokenRequest(String token, ClientCredentials presented, ClientRecord caller) {

    static Future<TokenRequest> authenticate(RoutingContext rc, ClientAuthenticator authenticator) {
        FormBody form = FormBody.parse(rc.body().asString());
        ClientCredentials presented = ClientCredentials.from(rc, form);
        String token = form.require("token");
        return authenticator
                .authenticate(presented.clientId(), presented.secret())
                .compose(caller -> caller.isEmpty()
                        ? Future.failedFuture(
                                OAuthException.invalidClient("client authentication failed", presented.basic()))
                        : Future.succeededFuture(new TokenRequest(token, presented, caller.get())));
    }
}
