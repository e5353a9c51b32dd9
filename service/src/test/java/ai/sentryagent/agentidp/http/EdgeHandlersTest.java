package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.testing.TestServers;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.pgclient.PgBuilder;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.security.KeyPair;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The public edge handlers alone — JWKS, discovery metadata, readiness, the request-target check — on one port-0
 * server, no database: each answer checked against the RFC clause a client or a load balancer relies on, parsed by an
 * independent library where one exists (Nimbus for JWK sets). Milliseconds each; the whole stack is
 * {@code EdgeTest}'s, {@code HealthTest}'s and {@code HardeningTest}'s.
 */
@ExtendWith(VertxExtension.class)
class EdgeHandlersTest {
    private static final String ISSUER = "https://idp.example";
    private static final KeyPair CURRENT = SigningKeys.generate(2048);
    private static final KeyPair PREVIOUS = SigningKeys.generateP256();

    private static WebClient client;
    private static Pool deadPool;
    private static Redis deadRedis;

    @BeforeAll
    static void serve(Vertx vertx, VertxTestContext context) throws java.io.IOException {
        SigningKeys keys = SigningKeys.of(CURRENT.getPrivate(), CURRENT.getPublic(), List.of(PREVIOUS.getPublic()));
        // Readiness against dependencies that refuse connections: nothing listens on these ports.
        deadPool = PgBuilder.pool()
                .connectingTo("postgres://agentidp@127.0.0.1:" + TestServers.freePort() + "/agentidp?sslmode=disable")
                .using(vertx)
                .build();
        deadRedis = Redis.createClient(vertx, "redis://127.0.0.1:" + TestServers.freePort());

        Router router = Router.router(vertx);
        router.route().handler(new RequestTarget());
        router.get("/.well-known/jwks.json").handler(new JwksHandler(keys));
        router.get("/.well-known/oauth-authorization-server")
                .handler(new MetadataHandler(ISSUER, new Scopes(Set.of("weather:read"))));
        router.get("/health/ready").handler(new ReadinessHandler(deadPool, deadRedis));
        router.route().handler(rc -> rc.response().end("passed"));
        router.route().failureHandler(new FailureHandler(Routes.Format.API, new Metrics()));
        vertx.createHttpServer().requestHandler(router).listen(0).onComplete(context.succeeding((HttpServer server) -> {
            client = WebClient.create(vertx, new WebClientOptions().setDefaultPort(server.actualPort()));
            context.completeNow();
        }));
    }

    @AfterAll
    static void close() {
        deadPool.close();
        deadRedis.close();
    }

    private static Future<HttpResponse<Buffer>> send(HttpMethod method, String target) {
        return client.request(method, target).send();
    }

    private static void verify(
            Future<HttpResponse<Buffer>> answer, VertxTestContext context, Consumer<HttpResponse<Buffer>> check) {
        answer.onComplete(context.succeeding(response -> context.verify(() -> {
            check.accept(response);
            context.completeNow();
        })));
    }

    /**
     * RFC 7517 §5 and §8.5.1: a JWK Set as {@code application/jwk-set+json} that Nimbus parses, public members only
     * (a private member would hand out the signing key), the current key first and the previous one still there so
     * tokens signed before a rotation verify; each {@code kid} is the key's RFC 7638 thumbprint.
     */
    @Test
    void theJwksIsAPublicJwkSetOfTheCurrentAndPreviousKeys(VertxTestContext context) {
        verify(send(HttpMethod.GET, "/.well-known/jwks.json"), context, response -> {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.getHeader("Content-Type")).isEqualTo("application/jwk-set+json");
            JWKSet set;
            try {
                set = JWKSet.parse(response.bodyAsString());
            } catch (java.text.ParseException e) {
                throw new AssertionError("not a JWK Set: " + response.bodyAsString(), e);
            }
            assertThat(set.getKeys()).hasSize(2);
            assertThat(set.getKeys()).noneMatch(JWK::isPrivate);
            assertThat(response.bodyAsJsonObject()
                            .getJsonArray("keys")
                            .getJsonObject(0)
                            .fieldNames())
                    .doesNotContain("d", "p", "q", "dp", "dq", "qi");
            assertThat(set.getKeys().get(0).getKeyType().getValue()).isEqualTo("RSA");
            assertThat(set.getKeys().get(1).getKeyType().getValue()).isEqualTo("EC");
            for (JWK key : set.getKeys()) {
                try {
                    assertThat(key.getKeyID()).isEqualTo(key.computeThumbprint().toString());
                } catch (com.nimbusds.jose.JOSEException e) {
                    throw new AssertionError(e);
                }
            }
        });
    }

    /**
     * RFC 8414 §2 and §3.2: the metadata is JSON whose {@code issuer} is exactly the configured issuer (a client
     * compares them and must refuse a mismatch), with the REQUIRED {@code response_types_supported}, and endpoints
     * under that issuer.
     */
    @Test
    void theMetadataNamesTheIssuerAndItsEndpoints(VertxTestContext context) {
        verify(send(HttpMethod.GET, "/.well-known/oauth-authorization-server"), context, response -> {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.getHeader("Content-Type")).startsWith("application/json");
            JsonObject metadata = response.bodyAsJsonObject();
            assertThat(metadata.getString("issuer")).isEqualTo(ISSUER);
            assertThat(metadata.containsKey("response_types_supported")).isTrue();
            assertThat(metadata.getString("token_endpoint")).startsWith(ISSUER + "/");
            assertThat(metadata.getString("jwks_uri")).startsWith(ISSUER + "/");
            assertThat(metadata.getJsonArray("grant_types_supported").getList()).contains("client_credentials");
            assertThat(metadata.getJsonArray("scopes_supported").getList()).contains("weather:read");
        });
    }

    /**
     * A load balancer takes the task out on a non-2xx readiness answer: with PostgreSQL and Redis both refusing
     * connections the answer is 503, not cached (RFC 9111 §5.2.2.5), and names both, without a stack trace.
     */
    @Test
    void readinessIs503NamingEachDependencyThatRefuses(VertxTestContext context) {
        verify(send(HttpMethod.GET, "/health/ready"), context, response -> {
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.getHeader("Cache-Control")).isEqualTo("no-store");
            JsonObject body = response.bodyAsJsonObject();
            assertThat(body.getString("message")).isEqualTo("not ready: postgres, redis unavailable");
            assertThat(body.getJsonObject("checks").getJsonObject("postgres").getString("status"))
                    .isEqualTo("down");
            assertThat(body.getJsonObject("checks").getJsonObject("redis").getString("status"))
                    .isEqualTo("down");
            assertThat(response.bodyAsString()).doesNotContain("at io.", "Exception:");
        });
    }

    /** RFC 9110 §9.1 and §15.6.2: a method HTTP does not define is 501, before any routing. */
    @Test
    void aMethodHttpDoesNotDefineIs501(VertxTestContext context) {
        verify(send(HttpMethod.valueOf("BREW"), "/.well-known/jwks.json"), context, response -> {
            assertThat(response.statusCode()).isEqualTo(501);
            assertThat(response.bodyAsJsonObject().getString("error")).isNotBlank();
        });
    }

    /**
     * An attacker's spellings that the router would match to a real route (trailing or doubled slash, dot segments,
     * an encoded dot, a matrix parameter) are refused 400 before the router sees them (RFC 3986 §6.2.2: only the
     * canonical form is one that the router, the policy and a proxy agree on).
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "/api/v1/agents/",
                "/api/v1//agents",
                "/api/v1/agents/%2e",
                "/api/v1/./agents",
                "/api/v1/x/../agents",
                "/api/v1/agents;x=1",
                "/api/v1/agents%2Fabc"
            })
    void aNonCanonicalPathIs400(String target, VertxTestContext context) {
        verify(send(HttpMethod.GET, target), context, response -> {
            assertThat(response.statusCode()).as(target).isEqualTo(400);
            assertThat(response.bodyAsJsonObject().getString("error")).isEqualTo("invalid_path");
        });
    }

    /** A control character in the query, encoded or not, or a malformed escape: 400 (RFC 3986 §2.1, §3.4). */
    @ParameterizedTest
    @ValueSource(strings = {"/api/v1/agents?name=%00", "/api/v1/agents?name=%1b", "/api/v1/agents?name=%zz"})
    void aControlCharacterOrBrokenEscapeInTheQueryIs400(String target, VertxTestContext context) {
        verify(
                send(HttpMethod.GET, target),
                context,
                response -> assertThat(response.statusCode()).as(target).isEqualTo(400));
    }

    /** The check must not refuse what the API serves: a canonical path with a plain query goes on. */
    @Test
    void aCanonicalTargetGoesOn(VertxTestContext context) {
        verify(send(HttpMethod.GET, "/api/v1/agents?limit=10&cursor=abc-123"), context, response -> {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.bodyAsString()).isEqualTo("passed");
        });
    }
}
