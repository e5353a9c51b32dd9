package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.token.OAuthException;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The per-request HTTP metrics as production wires them — a {@code Vertx} from {@link Metrics#createVertx()}, the
 * production endpoint table, {@code GET /metrics} through {@link MetricsHandler} — on a port-0 server with stub
 * handlers. No database. What is checked is what an attacker or an operator would hit: a label per scanned path or
 * per invented method (F-13, OWASP API4:2023 unrestricted resource consumption), a refused token request counted under
 * a route the alerts do not know, a scrape that stalls an event loop.
 */
class HttpMetricsTest {
    private static final Pattern SERIES =
            Pattern.compile("^((?:agentidp_http|vertx_http_server)_[a-z_]+(?:\\{[^}]*})?) ");

    private static Metrics metrics;
    private static Vertx vertx;
    private static int port;
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void serve() throws Exception {
        metrics = new Metrics();
        vertx = metrics.createVertx();
        Handler<RoutingContext> ok = rc -> rc.end("ok");
        Routes.Handlers handlers = new Routes.Handlers(
                ok,
                ok,
                new MetricsHandler(metrics.registry()),
                ok,
                ok,
                rc -> rc.fail(OAuthException.invalidClient("client authentication failed", true)),
                ok,
                ok,
                new AgentsApi(null, new Scopes(Set.of())),
                new CredentialsApi(null, null, null, null),
                new AuditApi(null),
                new TrustPoliciesApi(null, null, null, null),
                new KeysApi(null, null),
                new DelegationsApi(null, null, 3, null));
        AppConfig.HttpConfig http = new AppConfig.HttpConfig(false, List.of(), 0, 10_000, 1 << 20, 10_000);
        Routes.Edge edge = new Routes.Edge(http, metrics, new BearerAuth(null), null, null);
        HttpServer server = vertx.createHttpServer()
                .requestHandler(Routes.create(vertx, edge, handlers))
                .listen(0)
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        port = server.actualPort();
    }

    @AfterAll
    static void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/x-www-form-urlencoded");
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String scrape() throws Exception {
        HttpResponse<String> response = send("GET", "/metrics", null);
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    /** The HTTP families' series, name and labels, one per line and bucket. */
    private static Set<String> httpSeries(String text) {
        return text.lines()
                .map(SERIES::matcher)
                .filter(Matcher::find)
                .map(m -> m.group(1))
                .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }

    private static double value(String text, String series) {
        return text.lines()
                .filter(line -> line.startsWith(series + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1)))
                .findFirst()
                .orElse(0);
    }

    /**
     * A refused client is a 401 from the row's failure handler: Vert.x Web routes the request through the same route
     * a second time to fail it, and the library joins the names of every route a request passed with {@code >}.
     * The series must still be the row's template, the one docs/operations.md alerts on.
     */
    @Test
    void aRefusedTokenRequestIsCountedOnceUnderItsRoute() throws Exception {
        assertThat(send("POST", "/api/v1/token", "grant_type=client_credentials")
                        .statusCode())
                .isEqualTo(401);
        String text = await().atMost(Duration.ofSeconds(5))
                .until(HttpMetricsTest::scrape, body -> body.contains("status=\"401\""));
        assertThat(text)
                .contains("agentidp_http_requests_total{method=\"POST\",route=\"/api/v1/token\",status=\"401\"} 1.0")
                .contains("agentidp_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/token\",le=")
                .doesNotContainPattern("route=\"[^\"]*>");
    }

    /** 1000 distinct scanned paths are 1000 requests in one existing series, never a series each. */
    @Test
    void aThousandUnknownPathsAddNoSeries() throws Exception {
        send("GET", "/scan/warm-up", null);
        String unmatched = "agentidp_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}";
        String first = await().atMost(Duration.ofSeconds(5))
                .until(HttpMetricsTest::scrape, body -> value(body, unmatched) >= 1);
        Set<String> before = httpSeries(first);
        double counted = value(first, unmatched);

        for (int i = 0; i < 1000; i++) {
            assertThat(send("GET", "/scan/" + UUID.randomUUID(), null).statusCode())
                    .isEqualTo(404);
        }

        String after = await().atMost(Duration.ofSeconds(5))
                .until(HttpMetricsTest::scrape, body -> value(body, unmatched) >= counted + 1000);
        assertThat(httpSeries(after)).isEqualTo(before);
        assertThat(after).doesNotContain("/scan/").doesNotContain("path=");
    }

    /** A method the API does not serve is labelled {@code other}: an invented method name must not mint a series. */
    @Test
    void anInventedMethodIsLabelledOther() throws Exception {
        for (String method : List.of(
                "PROPFIND", "XM" + UUID.randomUUID().toString().substring(0, 8).toUpperCase())) {
            assertThat(send(method, "/health", null).statusCode()).isBetween(400, 599);
        }
        String text = await().atMost(Duration.ofSeconds(5))
                .until(HttpMetricsTest::scrape, body -> body.contains("method=\"other\""));
        assertThat(text).doesNotContain("PROPFIND").doesNotContain("method=\"XM");
    }

    /**
     * vertx-micrometer-metrics' scraping handler scrapes on the calling thread; a scrape takes tens of milliseconds,
     * so the handler must not be called on an event loop. A gauge reports the thread the scrape reads it on.
     */
    @Test
    void theScrapeRunsOffTheEventLoop() throws Exception {
        AtomicInteger onEventLoop = new AtomicInteger();
        AtomicInteger reads = new AtomicInteger();
        Gauge.builder("test_scrape_thread", () -> {
                    reads.incrementAndGet();
                    if (Context.isOnEventLoopThread()) {
                        onEventLoop.incrementAndGet();
                    }
                    return 1;
                })
                .strongReference(true)
                .register(metrics.registry());
        scrape();
        assertThat(reads.get()).isPositive();
        assertThat(onEventLoop.get()).isZero();
    }
}
