package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.token.AccessToken;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.OAuthException;
import ai.sentryagent.agentidp.token.RevocationStore;
import ai.sentryagent.agentidp.token.TokenCodec;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * {@code POST /api/v1/token/revoke} (RFC 7009). The caller authenticates as a client and may revoke only tokens
 * issued to it ({@code admin} may revoke any). Unknown, invalid or expired tokens answer 200: there is nothing to
 * revoke, and the answer must not tell a guesser anything.
 */
public final class RevocationEndpoint implements Handler<RoutingContext> {
    private final ClientAuthenticator authenticator;
    private final TokenCodec codec;
    private final RevocationStore revocations;

    public RevocationEndpoint(ClientAuthenticator authenticator, TokenCodec codec, RevocationStore revocations) {
        this.authenticator = authenticator;
        this.codec = codec;
        this.revocations = revocations;
    }

    @Override
    public void handle(RoutingContext rc) {
        TokenRequest.authenticate(rc, authenticator)
                .compose(request -> {
                    Optional<AccessToken> claims = codec.verify(request.token());
                    if (claims.isEmpty()) {
                        return Future.succeededFuture();
                    }
                    boolean own =
                            claims.get().clientId().equals(request.caller().clientId());
                    if (!own && !request.caller().scopes().contains(Scopes.ADMIN)) {
                        return Future.failedFuture(new OAuthException(
                                400, "unauthorized_client", "the token was not issued to this client", false));
                    }
                    return revocations.revoke(
                            claims.get(),
                            AuditContexts.client(rc, request.caller().clientId()));
                })
                .onSuccess(done -> rc.response().setStatusCode(200).end())
                .onFailure(rc::fail);
    }
}
