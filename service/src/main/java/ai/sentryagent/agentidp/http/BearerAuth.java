package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.error.ApiError;
import ai.sentryagent.agentidp.token.AccessToken;
import ai.sentryagent.agentidp.token.ActiveTokens;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * Management endpoints take {@code Authorization: Bearer <access token from this IdP>}. A missing, invalid,
 * expired or revoked token — or one whose agent is no longer active ({@link ActiveTokens}) — is a 401 with
 * {@code WWW-Authenticate: Bearer} (RFC 6750 §3); a valid one becomes the request's {@link #principal}, holding only
 * the scopes the agent still has.
 */
public final class BearerAuth implements Handler<RoutingContext> {
    private static final String PRINCIPAL = "agentidp.principal";

    private final ActiveTokens tokens;

    public BearerAuth(ActiveTokens tokens) {
        this.tokens = tokens;
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
        tokens.check(header.substring(space + 1).trim())
                .onSuccess(check -> {
                    if (check instanceof ActiveTokens.Check.Active active) {
                        rc.put(PRINCIPAL, active.token());
                        rc.next();
                    } else if (check instanceof ActiveTokens.Check.Inactive inactive) {
                        challenge(rc, "invalid_token", inactive.reason());
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
        rc.fail(new ApiError.Unauthorized(message).failure());
    }
}
