package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.audit.AuditEvent;
import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.token.AccessToken;
import ai.sentryagent.agentidp.token.ClientAuthentication;
import ai.sentryagent.agentidp.token.Grant;
import ai.sentryagent.agentidp.token.GrantOutcome;
import ai.sentryagent.agentidp.token.TokenCodec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The token endpoint alone, on a port-0 server, with a grant whose outcome the test picks and an audit step whose
 * result the test picks: how each outcome is answered (RFC 6749 §5.1, §5.2) and that no token leaves before its audit
 * event is recorded. Milliseconds each; the whole stack is {@code TokenEndpointTest}'s.
 */
@ExtendWith(VertxExtension.class)
class TokenEndpointHandlerTest {
    private static final String FORM = "application/x-www-form-urlencoded";
    /** RFC 6749 §2.3.1 HTTP Basic for client-1 / s3cret (nothing to form-encode in either). */
    private static final String BASIC =
            "Basic " + java.util.Base64.getEncoder().encodeToString("client-1:s3cret".getBytes(StandardCharsets.UTF_8));

    private final List<AuditEvent> recorded = new ArrayList<>();
    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void anUnknownGrantTypeIsUnsupportedAndReachesNoGrant(Vertx vertx, VertxTestContext test) {
        List<String> applied = new ArrayList<>();
        Grant grant = grant(request -> {
            applied.add("called");
            return issued();
        });
        post(vertx, grant, event -> Future.succeededFuture(), "grant_type=password&username=a&password=b")
                .onComplete(test.succeeding(response -> test.verify(() -> {
                    assertThat(response.statusCode()).isEqualTo(400);
                    assertThat(response.bodyAsJsonObject().getString("error")).isEqualTo("unsupported_grant_type");
                    assertThat(applied).isEmpty();
                    test.completeNow();
                })));
    }

    @Test
    void anIssuedTokenLeavesOnlyOnceItsAuditEventIsRecorded(Vertx vertx, VertxTestContext test) {
        post(vertx, grant(request -> issued()), this::record, "grant_type=client_credentials")
                .onComplete(test.succeeding(response -> test.verify(() -> {
                    assertThat(response.statusCode()).isEqualTo(200);
                    // RFC 6749 §5.1: the token response is never cached.
                    assertThat(response.getHeader("Cache-Control")).isEqualTo("no-store");
                    JsonObject body = response.bodyAsJsonObject();
                    assertThat(body.getString("token_type")).isEqualTo("Bearer");
                    assertThat(body.getString("access_token")).isEqualTo("signed.jwt.here");
                    assertThat(recorded).extracting(AuditEvent::action).containsExactly("token.issued");
                    test.completeNow();
                })));
    }

    @Test
    void aFailedAuditIs503WithRetryAfterAndNoToken(Vertx vertx, VertxTestContext test) {
        post(
                        vertx,
                        grant(request -> issued()),
                        event -> Future.failedFuture(new IllegalStateException("audit commit failed")),
                        "grant_type=client_credentials")
                .onComplete(test.succeeding(response -> test.verify(() -> {
                    assertThat(response.statusCode()).isEqualTo(503);
                    assertThat(response.getHeader("Retry-After")).isNotBlank();
                    JsonObject body = response.bodyAsJsonObject();
                    assertThat(body.getString("error")).isEqualTo("temporarily_unavailable");
                    assertThat(body.containsKey("access_token")).isFalse();
                    assertThat(response.bodyAsString()).doesNotContain("signed.jwt.here");
                    test.completeNow();
                })));
    }

    @Test
    void aRefusedClientIsOneInvalidClientWithABasicChallengeAndAnAuditedReason(Vertx vertx, VertxTestContext test) {
        Grant grant = grant(request -> new ClientAuthentication.InvalidClient("credentials_rejected"));
        post(vertx, grant, this::record, "grant_type=client_credentials")
                .onComplete(test.succeeding(response -> test.verify(() -> {
                    // RFC 6749 §5.2: 401 with WWW-Authenticate matching the scheme the client used.
                    assertThat(response.statusCode()).isEqualTo(401);
                    assertThat(response.getHeader("WWW-Authenticate")).startsWith("Basic");
                    assertThat(response.bodyAsJsonObject().getString("error")).isEqualTo("invalid_client");
                    assertThat(response.bodyAsString()).doesNotContain("credentials_rejected");
                    assertThat(recorded).singleElement().satisfies(event -> {
                        assertThat(event.action()).isEqualTo("client.authentication_failed");
                        assertThat(event.details().getString("reason")).isEqualTo("credentials_rejected");
                        assertThat(event.details().getString("method")).isEqualTo("client_secret_basic");
                    });
                    test.completeNow();
                })));
    }

    @Test
    void anInvalidScopeIsTheRfcErrorWithItsDescription(Vertx vertx, VertxTestContext test) {
        Grant grant = grant(request -> new GrantOutcome.InvalidScope("the client may not request: admin"));
        post(vertx, grant, this::record, "grant_type=client_credentials&scope=admin")
                .onComplete(test.succeeding(response -> test.verify(() -> {
                    assertThat(response.statusCode()).isEqualTo(400);
                    assertThat(response.bodyAsJsonObject())
                            .isEqualTo(new JsonObject()
                                    .put("error", "invalid_scope")
                                    .put("error_description", "the client may not request: admin"));
                    // A client asking beyond its grant is a failed access-control decision: logged, not only answered
                    // (OWASP ASVS 4.0.3 §7.2.2). Best effort, as every refusal: it delivers nothing.
                    assertThat(recorded).singleElement().satisfies(event -> {
                        assertThat(event.action()).isEqualTo("token.grant_rejected");
                        assertThat(event.outcome()).isEqualTo(AuditEvent.FAILURE);
                        assertThat(event.actor()).isEqualTo("client-1");
                        assertThat(event.details().getString("error")).isEqualTo("invalid_scope");
                        assertThat(event.details().getString("reason")).isEqualTo("the client may not request: admin");
                        assertThat(event.details().getString("grantType")).isEqualTo("client_credentials");
                    });
                    test.completeNow();
                })));
    }

    @Test
    void anInvalidTargetAndAnUnauthorizedClientAreAuditedWithTheirError(Vertx vertx, VertxTestContext test) {
        Grant target =
                grant(request -> new GrantOutcome.InvalidTarget("not a resource of this agent: https://x.example"));
        Grant unauthorized =
                grant(request -> new GrantOutcome.UnauthorizedClient("the client may not exchange tokens"));
        post(vertx, target, this::record, "grant_type=client_credentials&resource=https%3A%2F%2Fx.example")
                .compose(first -> {
                    test.verify(() -> {
                        assertThat(first.statusCode()).isEqualTo(400);
                        assertThat(first.bodyAsJsonObject().getString("error")).isEqualTo("invalid_target");
                    });
                    server.close();
                    return post(vertx, unauthorized, this::record, "grant_type=client_credentials");
                })
                .onComplete(test.succeeding(second -> test.verify(() -> {
                    assertThat(second.statusCode()).isEqualTo(400);
                    assertThat(second.bodyAsJsonObject().getString("error")).isEqualTo("unauthorized_client");
                    assertThat(recorded)
                            .extracting(event ->
                                    event.action() + " " + event.details().getString("error"))
                            .containsExactly(
                                    "token.grant_rejected invalid_target", "token.grant_rejected unauthorized_client");
                    test.completeNow();
                })));
    }

    private Future<Void> record(AuditEvent event) {
        recorded.add(event);
        return Future.succeededFuture();
    }

    private static Grant grant(Function<Grant.Request, GrantOutcome> outcome) {
        return new Grant() {
            @Override
            public String grantType() {
                return "client_credentials";
            }

            @Override
            public Future<GrantOutcome> apply(Request request) {
                return Future.succeededFuture(outcome.apply(request));
            }
        };
    }

    private static GrantOutcome issued() {
        UUID agent = UUID.randomUUID();
        ClientRecord client = new ClientRecord(
                agent,
                "client-1",
                AgentStatus.ACTIVE,
                List.of("weather:read"),
                List.of(),
                Optional.empty(),
                List.of(),
                List.of());
        Instant now = Instant.now();
        AccessToken claims = new AccessToken(
                "http://idp.test",
                agent.toString(),
                "client-1",
                List.of("agentidp"),
                List.of("weather:read"),
                now,
                now.plusSeconds(300),
                UUID.randomUUID().toString());
        return new GrantOutcome.Issued(client, new TokenCodec.Issued("signed.jwt.here", claims, 300));
    }

    private Future<HttpResponse<Buffer>> post(
            Vertx vertx, Grant grant, Function<AuditEvent, Future<Void>> recorder, String form) {
        Metrics metrics = new Metrics();
        Router router = Router.router(vertx);
        router.route().handler(new RequestContext(0));
        router.route("/api/v1/token")
                .handler(BodyHandler.create(false))
                .handler(new OAuthGuard())
                .handler(new TokenEndpoint(List.of(grant), recorder, new OAuthOutcomes(recorded::add, metrics)))
                .failureHandler(new FailureHandler(Routes.Format.OAUTH, metrics));
        return vertx.createHttpServer().requestHandler(router).listen(0).compose(listening -> {
            server = listening;
            return WebClient.create(vertx, new WebClientOptions().setDefaultPort(listening.actualPort()))
                    .post("/api/v1/token")
                    .putHeader("Content-Type", FORM)
                    .putHeader("Authorization", BASIC)
                    .sendBuffer(Buffer.buffer(form));
        });
    }
}
