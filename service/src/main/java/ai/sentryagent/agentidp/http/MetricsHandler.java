package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.observability.Metrics;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /metrics}: Prometheus text format. */
public final class MetricsHandler implements Handler<RoutingContext> {
    private final Metrics metrics;

    public MetricsHandler(Metrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void handle(RoutingContext rc) {
        rc.vertx()
                .executeBlocking(metrics::scrape, false)
                .onSuccess(text -> rc.response()
                        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                        .end(text))
                .onFailure(rc::fail);
    }
}
