package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.token.AccessToken;
import ai.sentryagent.agentidp.token.RevocationStore;
import ai.sentryagent.agentidp.token.TokenCodec;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import java.util.Optional;

/**
 * Management endpoints take {@code Authorization: Bearer <access token from this IdP>}. A missing, invalid,
 * expired or revoked token is a 401 with {@code WWW-Authenticate: Bearer} (RFC 6750 §3); a valid one becomes the
 * request's {@link #principal}.
 */
public final class BearerAuth implements Handler<RoutingContext> {
    private static final String PRINCIPAL = "agentidp.principal";

    private final TokenCodec codec;
    private final RevocationStore revocations;

    public BearerAuth(TokenCodec codec, RevocationStore revocations) {
        this.codec = codec;
        this.revocations = revocations;
    }

    @Override
    public void handle(RoutingContext rc) {
        String header = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null) {
            challenge(rc, null, "an access token is required (Authorization: Bearer <token>)");
            return;
        }
        int space = header.indexOf(' ');
        if (space < 0 || !header.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            challenge(rc, "invalid_request", "the Authorization header must use the Bearer scheme");
            return;
        }
        Optional<AccessToken> token = codec.verify(header.substring(space + 1).trim());
        if (token.isEmpty()) {
            challenge(rc, "invalid_token", "the access token is invalid or expired");
            return;
        }
        revocations
                .isRevoked(token.get())
                .onSuccess(revoked -> {
                    if (revoked) {
                        challenge(rc, "invalid_token", "the access token has been revoked");
                    } else {
                        rc.put(PRINCIPAL, token.get());
                        rc.next();
                    }
                })
                .onFailure(rc::fail);
    }

    /** The verified token of the caller. */
    public static AccessToken principal(RoutingContext rc) {
        AccessToken token = rc.get(PRINCIPAL);
        if (token == null) {
            throw new IllegalStateException("BearerAuth did not run before this handler");
        }
        return token;
    }

    private static void challenge(RoutingContext rc, String error, String message) {
        String value = "Bearer realm=\"agentidp\"" + (error == null ? "" : ", error=\"" + error + "\"");
        rc.response().putHeader("WWW-Authenticate", value);
        rc.fail(new ApiException(401, "unauthorized", message));
    }
}
