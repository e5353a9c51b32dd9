package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RawHttp;
import ai.sentryagent.agentidp.testing.RunningIdp;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * F-17 (unfinished request bodies held without limit: OOM of a 96 MiB heap with ~1,200 connections) and F-27
 * (pipelined responses never read: OOM with 90 connections), sent on raw sockets as the attack scripts did. OWASP
 * API4:2023 (unrestricted resource consumption); RFC 9110 §15.5.9 (408), §15.6.4 (503 with Retry-After), RFC 9112
 * §9.3.2 (pipelining). The budget here holds three 64 KiB bodies, so the test checks the accounting, not the heap.
 */
@IntegrationTest
class ResourceExhaustionTest {
    private static final int BUDGET = 3 * 65_536 + 1_000;
    private static final String STALLED_HEAD = "POST /api/v1/token HTTP/1.1\r\nHost: x\r\n"
            + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 16384\r\n\r\n";
    private static final String STALLED_JSON = "POST /api/v1/agents HTTP/1.1\r\nHost: x\r\n"
            + "Content-Type: application/json\r\nContent-Length: 65536\r\n\r\n";

    private static RunningIdp idp;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start(
                Map.of("HTTP_BODY_BUDGET_BYTES", String.valueOf(BUDGET), "HTTP_BODY_TIMEOUT_MS", "1500"));
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(
                        "timed out waiting until " + what + " (budget free: " + idp.bodyBudgetFree() + ")");
            }
            // Polled, not slept on: a few milliseconds between scrapes keep two shared cores free for the server.
            LockSupport.parkNanos(5_000_000);
        }
    }

    /**
     * The head and {@code bytes} of a body that stays under every per-field limit (form fields of 4 KiB, JSON string),
     * so only the unfinished body holds the connection.
     */
    private static Socket stalledBody(String head, int bytes) throws IOException {
        Socket socket = new Socket("127.0.0.1", idp.port());
        OutputStream out = socket.getOutputStream();
        String filler = head.contains("json")
                ? "{\"name\":\"" + "a".repeat(bytes)
                : ("f=" + "a".repeat(4_000) + "&").repeat(bytes / 4_003 + 1);
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(filler.substring(0, bytes).getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return socket;
    }

    @Test
    void unfinishedBodiesBeyondTheBudgetAreRefusedAndTheBudgetComesBackWhenTheyDisconnect() throws Exception {
        List<Socket> attackers = new ArrayList<>();
        try {
            // F-17 as t17.py sent it to /api/v1/agents: announce 64 KiB, send 65,000 bytes, stall. Three fit the
            // budget. (The token endpoint's limit is 16 KiB now; its stalled form is refused below.)
            attackers.add(stalledBody(STALLED_JSON, 65_000));
            attackers.add(stalledBody(STALLED_JSON, 65_000));
            attackers.add(stalledBody(STALLED_JSON, 65_000));
            await("three bodies are reserved", () -> idp.bodyBudgetFree() == BUDGET - 3 * 65_536L);
            // The fourth, on the token endpoint and on the management API, is refused before its body is read.
            for (String head : List.of(
                    STALLED_HEAD,
                    "POST /api/v1/agents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n",
                    STALLED_JSON,
                    // Expect: 100-continue must not be told to send the body it will not get room for.
                    STALLED_HEAD.replace("\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n"))) {
                try (Socket refused = stalledBody(head, 1_000)) {
                    refused.setSoTimeout(5_000);
                    RawHttp.Exchange answer = RawHttp.read(refused);
                    assertThat(answer.status()).as(answer.text()).isEqualTo(503);
                    assertThat(answer.statuses()).as(answer.text()).containsExactly(503);
                    assertThat(answer.text()).containsIgnoringCase("Retry-After: 5");
                    assertThat(answer.text())
                            .contains(
                                    head.contains("token") ? "\"temporarily_unavailable\"" : "\"service_unavailable\"");
                    assertThat(answer.closed()).as("connection closed").isTrue();
                }
            }
            assertThat(idp.bodyBudgetFree()).isEqualTo(BUDGET - 3 * 65_536L);
            // Requests without a body reserve nothing and keep working.
            assertThat(idp.get("/health").statusCode()).isEqualTo(200);
        } finally {
            for (Socket attacker : attackers) {
                attacker.close(); // the client aborts mid-body
            }
        }
        await("the aborted bodies are released", () -> idp.bodyBudgetFree() == BUDGET);
        // A genuine client gets its token again, and its finished request gives its reservation back too.
        assertThat(idp.adminToken()).isNotBlank();
        await("the token request is released", () -> idp.bodyBudgetFree() == BUDGET);
    }

    @Test
    void concurrentBodiesNeverOverdrawTheBudget() throws Exception {
        // F-17 variant: twelve stalled bodies at once, spread over the event loops; exactly three may hold the budget.
        long before = refusals("body_budget");
        List<Socket> attackers = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                attackers.add(stalledBody(STALLED_JSON, 65_000));
            }
            await("nine are refused", () -> {
                try {
                    return refusals("body_budget") - before == 9;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(idp.bodyBudgetFree()).isEqualTo(BUDGET - 3 * 65_536L);
        } finally {
            for (Socket attacker : attackers) {
                attacker.close();
            }
        }
        await("every reservation is released", () -> idp.bodyBudgetFree() == BUDGET);
    }

    @Test
    void aTrickledBodyIsAnswered408AndClosedAtTheDeadline() throws Exception {
        // F-17: one byte every 5 s kept the connection (and its buffer) for 200 s; the body deadline is 1.5 s here.
        try (Socket trickle = stalledBody(STALLED_HEAD.replace("16384", "100"), 10)) {
            trickle.setSoTimeout(8_000);
            long started = System.nanoTime();
            RawHttp.Exchange answer = RawHttp.read(trickle);
            assertThat(answer.status()).as(answer.text()).isEqualTo(408);
            assertThat(answer.text()).contains("\"invalid_request\"");
            assertThat(answer.closed()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(6));
        }
        await("the trickled body is released", () -> idp.bodyBudgetFree() == BUDGET);
    }

    @Test
    void aBodyTheRouteNeverReadsStaysBudgetedUntilTheDeadlineClosesIt() throws Exception {
        // F-17 variant: the stalled body sent to a route without a body (GET-only /health answers 405 at once). The
        // answer must not end the reservation while the body can still arrive; the deadline closes the connection.
        String head = STALLED_JSON.replace("POST /api/v1/agents", "POST /health");
        try (Socket stalled = stalledBody(head, 65_000)) {
            stalled.setSoTimeout(5_000);
            RawHttp.Exchange answer = RawHttp.read(stalled);
            assertThat(answer.statuses()).as(answer.text()).hasSize(1);
            assertThat(answer.closed()).as("connection closed").isTrue();
        }
        await("the body is released", () -> idp.bodyBudgetFree() == BUDGET);
    }

    private static long refusals(String reason) throws Exception {
        Matcher count = Pattern.compile(
                        "agentidp_http_edge_refusals_total\\{[^}]*reason=\"" + reason + "\"[^}]*} (\\d+)")
                .matcher(idp.get("/metrics").body());
        return count.find() ? Long.parseLong(count.group(1)) : 0;
    }

    @Test
    void aPipelinerThatNeverReadsIsDisconnectedWhileOthersAreServed() throws Exception {
        long before = refusals("unread_responses");
        byte[] requests =
                "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(3_000).getBytes(StandardCharsets.ISO_8859_1);
        AtomicBoolean writerDone = new AtomicBoolean();
        try (Socket pipeliner = new Socket()) {
            // F-27 as t27.py sent it: a small receive buffer, thousands of pipelined GETs, never a read.
            pipeliner.setReceiveBufferSize(4_096);
            pipeliner.connect(new java.net.InetSocketAddress("127.0.0.1", idp.port()));
            Thread writer = new Thread(() -> {
                try {
                    pipeliner.getOutputStream().write(requests);
                } catch (IOException closedByServer) {
                    // expected once the server gives up on the connection
                }
                writerDone.set(true);
            });
            writer.start();
            await("the server closes the non-reading pipeliner", () -> {
                try {
                    return refusals("unread_responses") > before;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            // Other clients were served all along.
            assertThat(idp.get("/health").statusCode()).isEqualTo(200);
            pipeliner.setSoTimeout(5_000);
            RawHttp.Exchange got = RawHttp.read(pipeliner);
            assertThat(got.closed()).as("connection closed").isTrue();
            assertThat(got.statuses()).hasSizeLessThan(3_000);
            await("the writer stops", writerDone::get);
        }
    }

    @Test
    void aPipeliningClientThatReadsGetsEveryAnswer() throws Exception {
        // RFC 9112 §9.3.2: pipelining is allowed; a client reading its answers gets every one of them, however far
        // ahead it writes (past the depth limit it is only slowed down).
        int count = 20 * PipelineDepth.MAX_UNANSWERED;
        String requests = "GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\n\r\n".repeat(count - 1)
                + "GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        try (Socket socket = new Socket("127.0.0.1", idp.port())) {
            socket.setSoTimeout(10_000);
            Thread writer = new Thread(() -> {
                try {
                    socket.getOutputStream().write(requests.getBytes(StandardCharsets.ISO_8859_1));
                } catch (IOException e) {
                    // the read below reports what came back
                }
            });
            writer.start();
            RawHttp.Exchange got = RawHttp.read(socket);
            writer.join(10_000);
            assertThat(got.statuses()).hasSize(count).containsOnly(200);
        }
    }
}
