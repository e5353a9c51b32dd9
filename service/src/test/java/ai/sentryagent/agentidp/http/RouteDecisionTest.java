package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RawHttp;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * F-01: every management route makes its policy decision on the route the router matched, and no spelling of a
 * path reaches a handler without one. OWASP ASVS V4.1.3/V4.1.5 (deny by default), OWASP API Top 10 API5:2023.
 */
@IntegrationTest
class RouteDecisionTest {
    private static RunningIdp idp;
    private static String admin;
    /** A token whose scopes are empty: the policy grants it nothing (no endpoint has a self rule for a stranger). */
    private static String nobody;

    private static String victim;
    private static String victimCredential;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start();
        admin = idp.adminToken();
        String caller = idp.createAgent("nobody-" + UUID.randomUUID()).getString("agentId");
        nobody = idp.token(caller, idp.createCredential(caller).getString("clientSecret"), null);
        victim = idp.createAgent("victim-" + UUID.randomUUID()).getString("agentId");
        victimCredential = idp.createCredential(victim).getString("credentialId");
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    /** The endpoint's template with the victim's ids (an audit event id that need not exist: 403 comes first). */
    private static String concrete(Routes.Endpoint endpoint) {
        return endpoint.template()
                .replace("{agentId}", victim)
                .replace("{credentialId}", victimCredential)
                .replace("{eventId}", UUID.randomUUID().toString())
                .replace("{trustPolicyId}", UUID.randomUUID().toString())
                .replace("{kid}", "key-1")
                .replace("{delegationId}", UUID.randomUUID().toString());
    }

    /** Spellings the router (or a proxy) could take for the same route; none may skip the decision. */
    private static List<String> variants(String path) {
        int cut = path.lastIndexOf('/');
        String head = path.substring(0, cut);
        String last = path.substring(cut + 1);
        return List.of(
                path + "/",
                path + "//",
                path + "/.",
                path + "/./",
                path + "/%2e",
                path + "/%2E",
                path + "/%252e",
                path + "/x/..",
                path + "/x/%2e%2e",
                path + "/x/%2E%2E/",
                path.replaceFirst("/v1/", "/v1//"),
                path.replaceFirst("/v1/", "/v1/./"),
                path.replaceFirst("/v1/", "/v1/x/../"),
                "/" + path,
                head + "%2F" + last,
                head + "%2f" + last,
                head + "%5C" + last,
                head + "/%" + String.format("%02X", (int) last.charAt(0)) + last.substring(1),
                head + "/%" + String.format("%02x", (int) last.charAt(0)) + last.substring(1),
                path + ";x",
                path + ";",
                path + "%3B",
                path + "%00",
                path + "%0A",
                path + "%20",
                path + "/%23",
                path + "%3F");
    }

    @Test
    void everyMountedManagementRouteCarriesAPolicyDecision() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            AppConfig config = AppConfig.fromEnvironment(RunningIdp.defaultVariables());
            Handler<RoutingContext> any = RoutingContext::end;
            Routes.Handlers handlers = new Routes.Handlers(
                    any,
                    any,
                    any,
                    any,
                    any,
                    any,
                    any,
                    any,
                    new AgentsApi(null, config.scopes()),
                    new CredentialsApi(null, null, null, null),
                    new AuditApi(null),
                    new TrustPoliciesApi(null, null, null, null),
                    new KeysApi(null, null),
                    new DelegationsApi(null, null, 3, null));
            Router router = Routes.create(
                    vertx, new Routes.Edge(config.http(), new Metrics(), new BearerAuth(null), null, null), handlers);
            // Routes without a path run on every request (request context, framing, CORS) or only fail; routes
            // with one are either public by design or decided by the policy.
            Set<String> open = Set.of(
                    "/health",
                    "/health/ready",
                    "/metrics",
                    "/.well-known/jwks.json",
                    "/.well-known/oauth-authorization-server",
                    "/.well-known/openid-configuration",
                    "/api/v1/token",
                    "/api/v1/token/introspect",
                    "/api/v1/token/revoke");
            Set<String> decided = new HashSet<>();
            List<String> unclassified = new ArrayList<>();
            for (Route route : router.getRoutes()) {
                String path = route.getPath();
                String policy = route.getMetadata(Routes.POLICY_METADATA);
                if (policy != null) {
                    assertThat(route.methods()).hasSize(1);
                    String method = route.methods().iterator().next().name();
                    assertThat(policy).startsWith(method + " ");
                    decided.add(policy);
                } else if (path != null && !open.contains(path)) {
                    unclassified.add(route.methods() + " " + path);
                }
            }
            assertThat(unclassified)
                    .as("routes with neither a policy decision nor a public purpose")
                    .isEmpty();
            assertThat(decided).isEqualTo(Routes.MANAGEMENT_ENDPOINTS);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void noSpellingOfAManagementPathReachesAHandlerWithoutADecision() throws Exception {
        int agentsBefore = agentCount();
        int credentialsBefore = credentialCount();
        List<String> leaks = new ArrayList<>();
        for (Routes.Endpoint endpoint : Routes.MANAGEMENT) {
            String method = endpoint.method().name();
            String path = concrete(endpoint);
            // The canonical request is decided: the empty-scope token is refused by the policy.
            RawHttp.Exchange canonical = RawHttp.request(idp.port(), method, path, "Authorization: Bearer " + nobody);
            assertThat(canonical.status()).as(method + " " + path).isEqualTo(403);
            for (String variant : variants(path)) {
                RawHttp.Exchange answer =
                        RawHttp.request(idp.port(), method, variant, "Authorization: Bearer " + nobody);
                int status = answer.status();
                if (status < 400 || status >= 500) {
                    leaks.add(status + " " + method + " " + variant);
                }
            }
            // The method spelled otherwise, and the request target in absolute form (RFC 9112 §3.2.2).
            for (String other : List.of(method.toLowerCase(java.util.Locale.ROOT), "HEAD")) {
                int status = RawHttp.request(idp.port(), other, path, "Authorization: Bearer " + nobody)
                        .status();
                if (status < 400) {
                    leaks.add(status + " " + other + " " + path);
                }
            }
            for (String absolute : List.of("http://idp" + path + "/", "http://idp" + path + "/%2e")) {
                int status = RawHttp.request(idp.port(), method, absolute, "Authorization: Bearer " + nobody)
                        .status();
                if (status != 400) {
                    leaks.add(status + " " + method + " " + absolute);
                }
            }
            for (String spelled : List.of(path + "?x=1", path + "?", path + "#x", "http://idp" + path)) {
                RawHttp.Exchange answer =
                        RawHttp.request(idp.port(), method, spelled, "Authorization: Bearer " + nobody);
                if (answer.status() != 403 && answer.status() != 400) {
                    leaks.add(answer.status() + " " + method + " " + spelled);
                }
            }
        }
        assertThat(leaks).as("answers that were not a refusal").isEmpty();
        // Nothing was created, rotated away or decommissioned on the way.
        assertThat(agentCount()).isEqualTo(agentsBefore);
        assertThat(credentialCount()).isEqualTo(credentialsBefore);
        HttpResponse<String> victimNow = idp.call("GET", "/api/v1/agents/" + victim, admin, null);
        assertThat(new JsonObject(victimNow.body()).getString("status")).isEqualTo("active");
    }

    @Test
    void aTrailingSlashIsRefusedBeforeAuthenticationInTheOneErrorShape() throws Exception {
        for (String path : List.of("/api/v1/agents/", "/api/v1/audit/", "/api/v1/agents/" + victim + "/")) {
            RawHttp.Exchange answer = RawHttp.request(idp.port(), "GET", path);
            assertThat(answer.status()).as(path).isEqualTo(400);
            JsonObject error = new JsonObject(answer.body());
            assertThat(error.fieldNames()).containsExactlyInAnyOrder("error", "message", "details");
            assertThat(error.getString("error")).isEqualTo("invalid_path");
            assertThat(answer.text()).doesNotContainIgnoringCase("www-authenticate");
        }
        // The OAuth endpoints answer in their own shape (RFC 6749 §5.2).
        RawHttp.Exchange token = RawHttp.request(idp.port(), "POST", "/api/v1/token/");
        assertThat(token.status()).isEqualTo(400);
        assertThat(new JsonObject(token.body()).getString("error")).isEqualTo("invalid_request");
    }

    @Test
    void canonicalRequestsStillWorkForTheAdministrator() throws Exception {
        for (Routes.Endpoint endpoint : Routes.MANAGEMENT) {
            if (endpoint.method().name().equals("GET")) {
                String path = concrete(endpoint);
                int expected = path.startsWith("/api/v1/audit/") && !path.endsWith("/verify") && !path.endsWith("/head")
                                || path.startsWith("/api/v1/trust-policies/")
                        ? 404 // a made-up event or trust policy id
                        : 200;
                assertThat(idp.call("GET", path, admin, null).statusCode())
                        .as(path)
                        .isEqualTo(expected);
            }
        }
        assertThat(idp.call("GET", "/api/v1/agents?limit=1", admin, null).statusCode())
                .isEqualTo(200);
        assertThat(idp.get("/.well-known/jwks.json").statusCode()).isEqualTo(200);
    }

    private static int agentCount() throws Exception {
        return new JsonObject(
                        idp.call("GET", "/api/v1/agents?limit=100", admin, null).body())
                .getJsonArray("items")
                .size();
    }

    private static int credentialCount() throws Exception {
        return new JsonObject(idp.call("GET", "/api/v1/agents/" + victim + "/credentials", admin, null)
                        .body())
                .getJsonArray("items")
                .size();
    }
}
