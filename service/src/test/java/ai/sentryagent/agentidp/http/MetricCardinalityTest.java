package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * F-13: no request can mint a metric series. 32,000 random method names used to exhaust the heap (a counter and a
 * ~70-bucket histogram each); every label now comes from a fixed set. OWASP API Top 10 API4:2023 (unrestricted
 * resource consumption).
 */
@IntegrationTest
class MetricCardinalityTest {
    private static final int REQUESTS = 100_000;

    private static RunningIdp idp;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start();
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    /**
     * The service's own series and Vert.x's HTTP server series (JVM series come and go with GC activity): one line
     * per series and bucket.
     */
    private static List<String> serviceSeries() throws Exception {
        return idp.get("/metrics")
                .body()
                .lines()
                .filter(line -> line.startsWith("agentidp_") || line.startsWith("vertx_"))
                .map(line -> line.substring(0, line.lastIndexOf(' ')))
                .sorted()
                .toList();
    }

    @Test
    void distinctMethodsPathsUserAgentsAndClientIdsLeaveTheSeriesFlat() throws Exception {
        IntFunction<String> methods =
                i -> "M" + Integer.toString(i, 36).toUpperCase() + " /health HTTP/1.1\r\n" + "Host: idp\r\n\r\n";
        IntFunction<String> paths = i -> "GET /nowhere/" + i + " HTTP/1.1\r\nHost: idp\r\n\r\n";
        IntFunction<String> agents = i -> "GET /health HTTP/1.1\r\nHost: idp\r\nUser-Agent: probe/" + i + "\r\n\r\n";
        IntFunction<String> clients = i -> {
            String form = "grant_type=client_credentials&client_id=spray-" + i + "&client_secret=x";
            return "POST /api/v1/token HTTP/1.1\r\nHost: idp\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: " + form.length() + "\r\n\r\n" + form;
        };
        // One of each first (a scrape too), so the series a first request legitimately creates exist before the count.
        for (IntFunction<String> kind : List.of(methods, paths, agents, clients)) {
            pipeline(kind, -1, 1);
        }
        serviceSeries();
        List<String> before = serviceSeries();

        CompletableFuture.allOf(
                        CompletableFuture.runAsync(() -> pipeline(methods, 0, REQUESTS)),
                        CompletableFuture.runAsync(() -> pipeline(paths, 0, REQUESTS)),
                        CompletableFuture.runAsync(() -> pipeline(agents, 0, REQUESTS)),
                        // Each failed client authentication is a rate-limit step and an audit event: fewer of these.
                        CompletableFuture.runAsync(() -> pipeline(clients, 0, 2_000)))
                .get(120, TimeUnit.SECONDS);

        List<String> after = serviceSeries();
        assertThat(after).isEqualTo(before);
        assertThat(after)
                .anyMatch(series -> series.startsWith(
                        "agentidp_http_requests_total{method=\"other\",route=\"unmatched\"," + "status=\"501\"}"))
                .noneMatch(series -> series.contains("M1") || series.contains("nowhere") || series.contains("spray"));
    }

    /**
     * Sends {@code count} requests on one keep-alive connection without waiting for answers (HTTP/1.1 pipelining),
     * while reading the answers on another thread; returns when every answer has arrived.
     */
    private static void pipeline(IntFunction<String> request, int first, int count) {
        try (Socket socket = new Socket("127.0.0.1", idp.port())) {
            socket.setSoTimeout(60_000);
            CompletableFuture<Integer> answers = CompletableFuture.supplyAsync(() -> countAnswers(socket, count));
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            for (int i = 0; i < count; i++) {
                out.write(request.apply(first + i).getBytes(StandardCharsets.ISO_8859_1));
            }
            out.flush();
            assertThat(answers.get(90, TimeUnit.SECONDS)).isEqualTo(count);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Counts status lines ("HTTP/1.1 " at the start of a response) until {@code expected} have arrived. */
    private static int countAnswers(Socket socket, int expected) {
        byte[] marker = "HTTP/1.1 ".getBytes(StandardCharsets.ISO_8859_1);
        int seen = 0;
        int matched = 0;
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[64 * 1024];
            int n;
            while (seen < expected && (n = in.read(buffer)) >= 0) {
                for (int i = 0; i < n; i++) {
                    matched = buffer[i] == marker[matched] ? matched + 1 : (buffer[i] == marker[0] ? 1 : 0);
                    if (matched == marker.length) {
                        seen++;
                        matched = 0;
                    }
                }
            }
        } catch (IOException e) {
            throw new AssertionError("after " + seen + " answers", e);
        }
        return seen;
    }
}
