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
 * issued to it ({@code admin} may revoke any). Unknown, invalid or expired tokens answer 200 (RFC 7009 §2.2): there
 * is nothing to revoke, and the answer must not tell a guesser anything. A token bound to RFC 8707 resources is
 * revoked like any other.
 */
public final class RevocationEndpoint implements Handler<RoutingContext> {
    private final ClientAuthenticator authenticator;
    private final TokenCodec codec;
    private final RevocationStore revocations;
    private final OAuthOutcomes outcomes;

    public RevocationEndpoint(
            ClientAuthenticator authenticator, TokenCodec codec, RevocationStore revocations, OAuthOutcomes outcomes) {
        this.authenticator = authenticator;
        this.codec = codec;
        this.revocations = revocations;
        this.outcomes = outcomes;
    }

    @Override
    public void handle(RoutingContext rc) {
        TokenRequest.authenticate(
                rc,
                authenticator,
                outcomes,
                request -> revoke(rc, request)
                        .onSuccess(done -> rc.response().setStatusCode(200).end())
                        .onFailure(rc::fail));
    }

    private Future<Void> revoke(RoutingContext rc, TokenRequest request) {
        Optional<AccessToken> claims = codec.verifyIssued(request.token());
        if (claims.isEmpty()) {
            return Future.succeededFuture();
        }
        boolean own = claims.get().clientId().equals(request.caller().clientId());
        if (!own && !request.caller().scopes().contains(Scopes.ADMIN)) {
            return Future.failedFuture(
                    new OAuthException(400, "unauthorized_client", "the token was not issued to this client", false));
        }
        return revocations
                .revoke(claims.get(), AuditContexts.client(rc, request.caller().clientId()))
                .recover(failure -> Future.failedFuture(
                        failure instanceof RevocationStore.NotPropagated
                                // RFC 7009 §2.2.1: on 503 the client assumes the token still exists and retries.
                                ? new OAuthException(
                                        503,
                                        "temporarily_unavailable",
                                        "the revocation could not be completed; retry later",
                                        false)
                                : failure));
    }
}
