package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RawHttp;
import ai.sentryagent.agentidp.testing.RunningIdp;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * F-09 (request smuggling, RFC 9112 §6.1 and §3.2, h2c) and F-20 (slowly sent headers), on raw sockets: the answer
 * is a 400, the server closes the connection, and a second request smuggled into the same bytes is never answered.
 */
@IntegrationTest
class MessageFramingTest {
    private static final Duration QUIET = Duration.ofSeconds(3);
    /** Answered with a distinctive body if it ever runs: the smuggled request. */
    private static final String SMUGGLED = "GET /.well-known/jwks.json HTTP/1.1\r\nHost: idp\r\n\r\n";

    private static RunningIdp idp;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start(Map.of("HTTP_HEADER_TIMEOUT_MS", "1000"));
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    private static RawHttp.Exchange send(String request) throws Exception {
        return RawHttp.send(idp.port(), request, QUIET);
    }

    private static void assertRefusedAndClosed(RawHttp.Exchange exchange, String why) {
        assertThat(exchange.statuses()).as(why + ": " + exchange.text()).containsExactly(400);
        assertThat(exchange.closed()).as(why + ": connection closed").isTrue();
        assertThat(exchange.text()).as(why).doesNotContain("\"keys\"");
    }

    private static String post(String headers, String body) {
        return "POST /api/v1/token HTTP/1.1\r\nHost: idp\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + headers + "\r\n" + body;
    }

    @Test
    void contentLengthWithTransferEncodingIsRefusedAndTheSmuggledRequestNeverAnswered() throws Exception {
        // CL.TE: a front end framing by Content-Length forwards the whole thing as one request.
        String smuggle = "0\r\n\r\n" + SMUGGLED;
        RawHttp.Exchange clte =
                send(post("Content-Length: " + smuggle.length() + "\r\nTransfer-Encoding: chunked\r\n", smuggle));
        // Netty drops the Content-Length and reads the chunks (RFC 9112 §6.1 allows it); the request is answered
        // once and the connection closed, so the bytes after the last chunk are never read as a request.
        assertThat(clte.statuses()).as(clte.text()).hasSize(1);
        assertThat(clte.closed()).isTrue();
        assertThat(clte.text()).doesNotContain("\"keys\"");
        // TE.CL, with the coding spelled so a lenient front end takes it and Netty does not.
        for (String encoding : List.of("xchunked", "chunked, identity", "identity", "gzip", " chunked , gzip", "\tx")) {
            assertRefusedAndClosed(
                    send(post("Content-Length: 4\r\nTransfer-Encoding: " + encoding + "\r\n", "0\r\n\r\n" + SMUGGLED)),
                    "Transfer-Encoding: " + encoding);
            assertRefusedAndClosed(
                    send(post("Transfer-Encoding: " + encoding + "\r\n", "0\r\n\r\n" + SMUGGLED)),
                    "Transfer-Encoding: " + encoding + " alone");
        }
        // Two Transfer-Encoding lines that only together say chunked.
        assertRefusedAndClosed(
                send(post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n" + SMUGGLED)),
                "two Transfer-Encoding lines");
        // HTTP/1.0 has no chunked coding: a Transfer-Encoding there is faulty framing.
        assertRefusedAndClosed(
                send("POST /api/v1/token HTTP/1.0\r\n"
                        + "Host: idp\r\n"
                        + "Transfer-Encoding: chunked\r\n"
                        + "Content-Length: 5\r\n\r\n"
                        + "0\r\n\r\n" + SMUGGLED),
                "HTTP/1.0 with Transfer-Encoding");
    }

    @Test
    void aPlainChunkedRequestIsServedThenTheConnectionCloses() throws Exception {
        String form = "grant_type=client_credentials";
        String chunked = Integer.toHexString(form.length()) + "\r\n" + form + "\r\n0\r\n\r\n";
        RawHttp.Exchange exchange = send(post(
                        "Authorization: " + RunningIdp.basic(RunningIdp.ADMIN_CLIENT_ID, RunningIdp.ADMIN_SECRET)
                                + "\r\nTransfer-Encoding: chunked\r\n",
                        chunked)
                + SMUGGLED);
        assertThat(exchange.statuses()).as(exchange.text()).containsExactly(200);
        assertThat(exchange.text()).contains("access_token").containsIgnoringCase("connection: close");
        assertThat(exchange.closed()).isTrue();
    }

    @Test
    void badContentLengthsAreRefusedAndClosed() throws Exception {
        for (String lengths : List.of(
                "Content-Length: 3\r\nContent-Length: 4\r\n",
                "Content-Length: 4\r\nContent-Length: 4\r\n",
                "Content-Length: 4, 4\r\n",
                "Content-Length: -4\r\n",
                "Content-Length: +4\r\n",
                "Content-Length: 4x\r\n",
                "Content-Length: 0x4\r\n",
                "Content-Length: 99999999999999999999\r\n")) {
            RawHttp.Exchange exchange = send(post(lengths, "abcd" + SMUGGLED));
            assertThat(exchange.statuses()).as(lengths).containsExactly(400);
            assertThat(exchange.closed()).as(lengths).isTrue();
        }
    }

    @Test
    void hostMustBeThereExactlyOnce() throws Exception {
        assertRefusedAndClosed(
                send("GET /health HTTP/1.1\r\nHost: idp\r\nHost: evil.example\r\n\r\n" + SMUGGLED), "two Host lines");
        RawHttp.Exchange missing = send("GET /health HTTP/1.1\r\nConnection: close\r\n\r\n");
        assertThat(missing.statuses()).containsExactly(400);
        // The same request with one Host is fine, and the connection stays open for the next one.
        RawHttp.Exchange fine = send("GET /health HTTP/1.1\r\n"
                + "Host: idp\r\n\r\n"
                + "GET /health HTTP/1.1\r\n"
                + "Host: idp\r\n"
                + "Connection: close\r\n\r\n");
        assertThat(fine.statuses()).containsExactly(200, 200);
    }

    @Test
    void authorizationMustNotBeRepeated() throws Exception {
        // F-09 follow-up, RFC 9110 §5.3: Authorization is not a list field. The first line won here, so a gateway
        // authorising on the last one saw a different caller than this service did.
        String admin = RunningIdp.basic(RunningIdp.ADMIN_CLIENT_ID, RunningIdp.ADMIN_SECRET);
        String other = RunningIdp.basic("someone-else", "wrong");
        String bearer = "Bearer " + idp.adminToken();
        String form = "grant_type=client_credentials";
        for (List<String> pair : List.of(
                List.of(admin, other),
                List.of(other, admin),
                List.of(admin, bearer),
                List.of(admin, admin),
                List.of(admin, ""))) {
            assertRefusedAndClosed(
                    send(post(
                                    "Authorization: " + pair.get(0) + "\r\nauthorization: " + pair.get(1)
                                            + "\r\nContent-Length: " + form.length() + "\r\n",
                                    form)
                            + SMUGGLED),
                    "token with two Authorization lines " + pair);
        }
        assertRefusedAndClosed(
                send("GET /api/v1/agents HTTP/1.1\r\nHost: idp\r\nAuthorization: " + bearer
                        + "\r\nAUTHORIZATION: Bearer not-a-token\r\n\r\n" + SMUGGLED),
                "management API with two Bearer lines");
        // One Authorization line is still served.
        RawHttp.Exchange one = send(post(
                "Authorization: " + admin + "\r\nContent-Length: " + form.length() + "\r\nConnection: close\r\n",
                form));
        assertThat(one.statuses()).containsExactly(200);
    }

    @Test
    void noH2cUpgradeAndNoPriorKnowledgeHttp2() throws Exception {
        RawHttp.Exchange upgrade = send("GET /health HTTP/1.1\r\nHost: idp\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n");
        // Answered as HTTP/1.1; the Upgrade header is ignored.
        assertThat(upgrade.statuses()).as(upgrade.text()).containsExactly(200);
        assertThat(upgrade.text()).doesNotContain("101 Switching Protocols").doesNotContain("\u0000\u0000");
        // The HTTP/2 connection preface is read as an HTTP/1 request line and refused; no SETTINGS frame comes back.
        RawHttp.Exchange preface = send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assertThat(preface.text()).doesNotContain("\u0000\u0000").doesNotContain("\u0004");
        assertThat(preface.closed()).isTrue();
    }

    @Test
    void aConnectionThatStallsInTheRequestHeadIsClosedWithinTheBound() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", idp.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /health HTTP/1.1\r\nHost: id".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            long start = System.nanoTime();
            // The read blocks until the server closes (HTTP_HEADER_TIMEOUT_MS=1000 here; 10 s by default).
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
        // A connection that never sends a byte is closed too.
        try (Socket socket = new Socket("127.0.0.1", idp.port())) {
            socket.setSoTimeout(10_000);
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void aKeptAliveConnectionIsNotCutAtTheHeadTimeout() throws Exception {
        // The head timeout is for getting a request in; a kept-alive connection between requests is the idle
        // allowance's business (75 s, longer than the load balancer's 60 s), so it is not cut at the head timeout.
        try (Socket socket = new Socket("127.0.0.1", idp.port())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /health HTTP/1.1\r\nHost: idp\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            byte[] buffer = new byte[4096];
            int n = socket.getInputStream().read(buffer);
            assertThat(new String(buffer, 0, n, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");
            // Well past the head timeout of a new connection (1 s here), the kept-alive one is still open...
            socket.setSoTimeout(2_500);
            assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            // ...and serves the next request.
            out.write("GET /health HTTP/1.1\r\nHost: idp\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            n = socket.getInputStream().read(buffer);
            assertThat(new String(buffer, 0, n, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");
        }
    }
}
