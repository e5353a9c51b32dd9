package ai.sentryagent.agentidp.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;

/**
 * {@code GET /metrics}: vertx-micrometer-metrics' {@link PrometheusScrapingHandler}, run on a worker thread. The
 * library's handler scrapes on the thread that calls it — here an event loop — and a scrape of this registry takes
 * tens of milliseconds (22–68 ms measured), during which every connection on that loop would wait.
 */
public final class MetricsHandler implements Handler<RoutingContext> {
    private final Handler<RoutingContext> scrape;

    public MetricsHandler(PrometheusMeterRegistry registry) {
        this.scrape = PrometheusScrapingHandler.create(registry);
    }

    @Override
    public void handle(RoutingContext rc) {
        rc.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        rc.vertx()
                .executeBlocking(
                        () -> {
                            scrape.handle(rc);
                            return null;
                        },
                        false)
                .onFailure(rc::fail);
    }
}
