package ai.sentryagent.agentidp.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/** Liveness: the process answers. Touches no dependency, so a database blip never gets a task killed. */
public final class HealthHandler implements Handler<RoutingContext> {
    private static final String BODY = "{\"status\":\"ok\"}";

    @Override
    public void handle(RoutingContext rc) {
        rc.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(BODY);
    }
}
