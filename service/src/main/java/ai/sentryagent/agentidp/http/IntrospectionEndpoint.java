package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.token.AccessToken;
import ai.sentryagent.agentidp.token.ActiveTokens;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.TokenCodec;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * {@code POST /api/v1/token/introspect} (RFC 7662). The caller authenticates as a client. It may introspect its
 * own tokens; other clients' tokens need {@code tokens:read} or {@code admin}. Anything else — invalid, expired,
 * revoked, issued to an agent no longer active ({@link ActiveTokens}) or not the caller's to see — is just
 * {@code {"active":false}} (RFC 7662 §2.2). An active token's {@code scope} is what it still grants: the scopes it
 * was issued with that the agent still holds; its {@code aud} is the one it was issued with — the RFC 8707
 * resources it is bound to, or {@code TOKEN_AUDIENCE} — so a resource server can check the token is meant for it.
 */
public final class IntrospectionEndpoint implements Handler<RoutingContext> {
    private static final String INACTIVE = new JsonObject().put("active", false).encode();

    private final ClientAuthenticator authenticator;
    private final TokenCodec codec;
    private final ActiveTokens tokens;
    private final OAuthOutcomes outcomes;

    public IntrospectionEndpoint(
            ClientAuthenticator authenticator, TokenCodec codec, ActiveTokens tokens, OAuthOutcomes outcomes) {
        this.authenticator = authenticator;
        this.codec = codec;
        this.tokens = tokens;
        this.outcomes = outcomes;
    }

    @Override
    public void handle(RoutingContext rc) {
        TokenRequest.authenticate(
                rc,
                authenticator,
                outcomes,
                request -> introspect(request)
                        .onSuccess(body -> rc.response()
                                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                .end(body))
                        .onFailure(rc::fail));
    }

    private Future<String> introspect(TokenRequest request) {
        Optional<AccessToken> claims =
                codec.verifyIssued(request.token()).filter(c -> mayIntrospect(request.caller(), c));
        if (claims.isEmpty()) {
            return Future.succeededFuture(INACTIVE);
        }
        return tokens.current(claims.get())
                .map(check -> check instanceof ActiveTokens.Check.Active active
                        ? active.token().toIntrospection().encode()
                        : INACTIVE);
    }

    private static boolean mayIntrospect(ClientRecord caller, AccessToken token) {
        return token.clientId().equals(caller.clientId())
                || caller.scopes().contains(Scopes.TOKENS_READ)
                || caller.scopes().contains(Scopes.ADMIN);
    }
}
