package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

/**
 * A request to introspect or revoke a token (RFC 7662, RFC 7009): the {@code token} parameter and the client that
 * authenticated to send it, with the same failure limits and audit as the token endpoint.
 */
record TokenRequest(String token, ClientRecord caller) {

    static Future<TokenRequest> authenticate(RoutingContext rc, ClientAuthenticator authenticator) {
        FormBody form = FormBody.parse(rc.body().asString());
        ClientCredentials credentials = ClientCredentials.from(rc, form);
        String token = form.require("token");
        return authenticator
                .authenticate(credentials.presented(rc), false)
                .map(caller -> new TokenRequest(token, caller));
    }
}
