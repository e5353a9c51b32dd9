package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.testing.RawHttp;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link MessageFraming} alone in front of a handler that echoes the body, on a port-0 Netty server, with the
 * request-smuggling spellings an attacker sends (RFC 9112 §6.1, §3.2; RFC 9110 §5.3, §8.3.1) written byte for byte.
 * Each refusal must be a 400 that closes the connection, so a request smuggled behind it is never answered; the
 * whole stack is {@code MessageFramingTest}'s.
 */
@ExtendWith(VertxExtension.class)
class MessageFramingHandlerTest {
    /** The smuggled half: if it were answered there would be a second status line reading 200 with "echo". */
    private static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: idp\r\n\r\n";

    private static final Duration QUIET = Duration.ofMillis(500);
    private static int port;

    @BeforeAll
    static void serve(Vertx vertx, VertxTestContext context) {
        Router router = Router.router(vertx);
        router.route().handler(new MessageFraming());
        router.route().handler(BodyHandler.create().setBodyLimit(16 * 1024));
        router.route()
                .handler(rc -> rc.response()
                        .end("echo:" + rc.request().path() + ":" + rc.body().asString()));
        router.route().failureHandler(new FailureHandler(Routes.Format.OAUTH, new Metrics()));
        vertx.createHttpServer().requestHandler(router).listen(0).onComplete(context.succeeding((HttpServer server) -> {
            port = server.actualPort();
            context.completeNow();
        }));
    }

    private static RawHttp.Exchange send(String request) throws Exception {
        return RawHttp.send(port, request, QUIET);
    }

    private static String post(String headers, String body) {
        return "POST /form HTTP/1.1\r\nHost: idp\r\nContent-Type: application/x-www-form-urlencoded\r\n" + headers
                + "\r\n" + body;
    }

    private static void assertRefusedAndClosed(RawHttp.Exchange exchange, String why) {
        assertThat(exchange.statuses()).as(why + ": " + exchange.text()).containsExactly(400);
        assertThat(exchange.closed()).as(why + ": connection closed").isTrue();
        assertThat(exchange.text()).as(why).doesNotContain("/smuggled");
    }

    /**
     * CL.TE: a front end framing by Content-Length forwards everything as one request. Netty reads the chunks (RFC
     * 9112 §6.1 allows that) — then the connection must close, so the bytes after the last chunk are never a request.
     */
    @Test
    void contentLengthWithChunkedIsAnsweredOnceAndTheConnectionCloses() throws Exception {
        String smuggle = "0\r\n\r\n" + SMUGGLED;
        RawHttp.Exchange exchange =
                send(post("Content-Length: " + smuggle.length() + "\r\nTransfer-Encoding: chunked\r\n", smuggle));
        assertThat(exchange.statuses()).as(exchange.text()).hasSize(1);
        assertThat(exchange.closed()).isTrue();
        assertThat(exchange.text()).doesNotContain("/smuggled");
    }

    /** TE.CL: a coding a lenient front end takes as chunked and Netty does not; §6.1: the length is unknowable. */
    @ParameterizedTest
    @ValueSource(strings = {"xchunked", "chunked, identity", "identity", "gzip", " chunked , gzip", "\tx"})
    void aTransferEncodingNotEndingInChunkedIsRefusedAndClosed(String encoding) throws Exception {
        assertRefusedAndClosed(
                send(post("Content-Length: 4\r\nTransfer-Encoding: " + encoding + "\r\n", "0\r\n\r\n" + SMUGGLED)),
                "Transfer-Encoding: " + encoding);
    }

    /** RFC 9112 §6.1: HTTP/1.0 has no chunked coding, so a Transfer-Encoding there is faulty framing. */
    @Test
    void aTransferEncodingOnHttp10IsRefusedAndClosed() throws Exception {
        assertRefusedAndClosed(
                send("POST /form HTTP/1.0\r\nHost: idp\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
                        + "0\r\n\r\n" + SMUGGLED),
                "HTTP/1.0 with Transfer-Encoding");
    }

    /**
     * RFC 9112 §3.2: exactly one Host; RFC 9110 §5.3: Authorization is not a list, so two would let a gateway and
     * this service each see a different caller; RFC 9110 §8.3.1: the body is decoded by one well-formed media type.
     */
    @Test
    void repeatedHostOrAuthorizationOrAMalformedContentTypeIsRefusedAndClosed() throws Exception {
        assertRefusedAndClosed(
                send("GET /x HTTP/1.1\r\nHost: idp\r\nHost: evil.example\r\n\r\n" + SMUGGLED), "two Host lines");
        assertRefusedAndClosed(
                send("GET /x HTTP/1.1\r\nHost: idp\r\nAuthorization: Basic YTpi\r\nAuthorization: Basic Yzpk\r\n\r\n"
                        + SMUGGLED),
                "two Authorization lines");
        for (String type : List.of("text", "a/b; c", "application/json, text/plain", "a/b; c=\"unterminated")) {
            assertRefusedAndClosed(
                    send("POST /form HTTP/1.1\r\nHost: idp\r\nContent-Type: " + type + "\r\nContent-Length: 2\r\n\r\n"
                            + "{}" + SMUGGLED),
                    "Content-Type: " + type);
        }
    }

    /** A request framed as exactly chunked is served, then the connection closes (§6.1: a CL may have been dropped). */
    @Test
    void aPlainChunkedRequestIsServedThenTheConnectionCloses() throws Exception {
        String form = "a=b";
        String chunked = Integer.toHexString(form.length()) + "\r\n" + form + "\r\n0\r\n\r\n";
        RawHttp.Exchange exchange = send(post("Transfer-Encoding: chunked\r\n", chunked) + SMUGGLED);
        assertThat(exchange.statuses()).as(exchange.text()).containsExactly(200);
        assertThat(exchange.text()).contains("echo:/form:a=b").containsIgnoringCase("connection: close");
        assertThat(exchange.closed()).isTrue();
    }
}
