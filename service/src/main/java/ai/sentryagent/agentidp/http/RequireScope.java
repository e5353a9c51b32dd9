package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.token.AccessToken;
import ai.sentryagent.agentidp.token.Scopes;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/** Lets the request through when the caller's token holds the scope, or {@code admin}; otherwise 403 naming it. */
public final class RequireScope implements Handler<RoutingContext> {
    private final String scope;

    public RequireScope(String scope) {
        this.scope = scope;
    }

    @Override
    public void handle(RoutingContext rc) {
        AccessToken caller = BearerAuth.principal(rc);
        if (caller.hasScope(scope) || caller.hasScope(Scopes.ADMIN)) {
            rc.next();
            return;
        }
        rc.fail(new ApiException(403, "forbidden", "requires scope " + scope));
    }
}
