package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.error.ApiError;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.token.OAuthException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.impl.NoStackTraceException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.pgclient.PgException;
import java.net.ConnectException;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The one failure handler, through the production endpoint table on a port-0 server, with handlers that fail the
 * way the real ones do: each format is checked against the rule a client relies on. No database, no full app.
 */
@ExtendWith(VertxExtension.class)
class FailureHandlerTest {
    private static WebClient client;

    private static Handler<RoutingContext> failing(Throwable failure) {
        return rc -> rc.fail(failure);
    }

    @BeforeAll
    static void serve(Vertx vertx, VertxTestContext context) {
        Handler<RoutingContext> ok = rc -> rc.end("ok");
        Routes.Handlers handlers = new Routes.Handlers(
                // a bug whose message holds something a client must never see
                failing(new IllegalStateException("password=hunter2 in the connection string")),
                failing(new PgException("too many connections", "FATAL", "53300", null)),
                failing(new PgException("duplicate key", "ERROR", "23505", null)),
                // a bug whose message merely reads like an outage
                failing(new NoStackTraceException("Connection refused")),
                ok,
                failing(OAuthException.invalidClient("client authentication failed", true)),
                failing(new ConnectException("Connection refused")),
                failing(new ApiError.Conflict("never rendered here").failure()),
                new AgentsApi(null, new Scopes(Set.of())),
                new CredentialsApi(null, null, null, null),
                new AuditApi(null),
                new TrustPoliciesApi(null, null, null, null),
                new KeysApi(null, null),
                new DelegationsApi(null, null, 3, null));
        AppConfig.HttpConfig http = new AppConfig.HttpConfig(false, List.of(), 0, 10_000, 1 << 20, 10_000);
        Routes.Edge edge = new Routes.Edge(http, new Metrics(), new BearerAuth(null), null, null);
        vertx.createHttpServer()
                .requestHandler(Routes.create(vertx, edge, handlers))
                .listen(0)
                .onComplete(context.succeeding((HttpServer server) -> {
                    client = WebClient.create(vertx, new WebClientOptions().setDefaultPort(server.actualPort()));
                    context.completeNow();
                }));
    }

    private static Future<HttpResponse<Buffer>> form(String path) {
        return client.request(HttpMethod.POST, path)
                .putHeader("Content-Type", "application/x-www-form-urlencoded")
                .putHeader("Authorization", "Basic YTpi")
                .sendBuffer(Buffer.buffer("grant_type=client_credentials"));
    }

    private static void verify(
            Future<HttpResponse<Buffer>> answer, VertxTestContext context, Consumer<HttpResponse<Buffer>> check) {
        answer.onComplete(context.succeeding(response -> context.verify(() -> {
            check.accept(response);
            context.completeNow();
        })));
    }

    /** RFC 6749 §5.2: a Basic client's failed authentication is a 401 with a Basic challenge; §5.1: no-store. */
    @Test
    void anOAuthRowAnswersInRfc6749Shape(VertxTestContext context) {
        verify(form("/api/v1/token"), context, response -> {
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.getHeader("WWW-Authenticate")).startsWith("Basic ");
            assertThat(response.getHeader("Cache-Control")).isEqualTo("no-store");
            assertThat(response.getHeader("Content-Type")).startsWith("application/json");
            JsonObject body = response.bodyAsJsonObject();
            assertThat(body.fieldNames()).containsExactlyInAnyOrder("error", "error_description");
            assertThat(body.getString("error")).isEqualTo("invalid_client");
        });
    }

    /** An unreachable dependency on an OAuth row: 503 with Retry-After (RFC 9110 §15.6.4), never a 500. */
    @Test
    void anOutageOnAnOAuthRowIsTemporarilyUnavailable(VertxTestContext context) {
        verify(form("/api/v1/token/introspect"), context, response -> {
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.getHeader("Retry-After")).isNotBlank();
            assertThat(response.bodyAsJsonObject().getString("error")).isEqualTo("temporarily_unavailable");
        });
    }

    /** RFC 9110 §15.5.6: a 405 must list the allowed methods; the OAuth row still answers in its own shape. */
    @Test
    void aWrongMethodOnAnOAuthRowIs405WithAllow(VertxTestContext context) {
        verify(client.get("/api/v1/token").send(), context, response -> {
            assertThat(response.statusCode()).isEqualTo(405);
            assertThat(response.getHeader("Allow")).isEqualTo("POST");
            assertThat(response.bodyAsJsonObject().getString("error")).isEqualTo("invalid_request");
        });
    }

    /** A bug on a management-shaped row: a generic 500 that says nothing of the cause (OWASP ASVS V7.4.1). */
    @Test
    void aBugIsAGeneric500InTheManagementShape(VertxTestContext context) {
        verify(client.get("/health").send(), context, response -> {
            assertThat(response.statusCode()).isEqualTo(500);
            JsonObject body = response.bodyAsJsonObject();
            assertThat(body.fieldNames()).containsExactlyInAnyOrder("error", "message", "details");
            assertThat(body.getString("error")).isEqualTo("internal_error");
            assertThat(response.bodyAsString()).doesNotContain("hunter2");
        });
    }

    /** SQLSTATE class 53 is PostgreSQL saying it cannot serve now (PostgreSQL manual, appendix A): 503. */
    @Test
    void postgresOutOfConnectionsIs503(VertxTestContext context) {
        verify(client.get("/health/ready").send(), context, response -> {
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.getHeader("Retry-After")).isNotBlank();
            assertThat(response.bodyAsJsonObject().getString("error")).isEqualTo("service_unavailable");
        });
    }

    /** SQLSTATE 23505 is an answer, not an outage: retrying would not help, so it must not read as a 503. */
    @Test
    void aConstraintViolationIsNotAnOutage(VertxTestContext context) {
        verify(
                client.get("/metrics").send(),
                context,
                response -> assertThat(response.statusCode()).isEqualTo(500));
    }

    /** Outages are told by type: a bug whose message reads "Connection refused" still pages as a 500. */
    @Test
    void aMessageThatReadsLikeAnOutageIsNotOne(VertxTestContext context) {
        verify(
                client.get("/.well-known/jwks.json").send(),
                context,
                response -> assertThat(response.statusCode()).isEqualTo(500));
    }

    /** RFC 9110 §15.5.5: no such resource; in the management shape, naming the path. */
    @Test
    void anUnknownPathIs404InTheManagementShape(VertxTestContext context) {
        verify(client.get("/api/v1/nothing").send(), context, response -> {
            assertThat(response.statusCode()).isEqualTo(404);
            JsonObject body = response.bodyAsJsonObject();
            assertThat(body.getString("error")).isEqualTo("not_found");
            assertThat(body.getString("message")).contains("/api/v1/nothing");
        });
    }
}
