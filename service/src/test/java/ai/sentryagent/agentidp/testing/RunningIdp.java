package ai.sentryagent.agentidp.testing;

import ai.sentryagent.agentidp.AgentIdp;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.crypto.Pem;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import ai.sentryagent.agentidp.observability.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real AgentIdP on a free port, against the test servers, with a plain HTTP client to call it. */
public final class RunningIdp implements AutoCloseable {
    private final Vertx vertx;
    private final AgentIdp idp;
    private final String deployment;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private RunningIdp(Vertx vertx, AgentIdp idp, String deployment) {
        this.vertx = vertx;
        this.idp = idp;
        this.deployment = deployment;
    }

    /** The bootstrap administrator every test instance has. */
    public static final String ADMIN_CLIENT_ID = "agentidp-admin";

    public static final String ADMIN_SECRET = "test-bootstrap-admin-secret-0123456789abcdef";
    public static final String ISSUER = "http://idp.test";
    /** The audit chain key of every test instance: tests that play a database writer must not use it. */
    public static final String AUDIT_CHAIN_KEY = "test-audit-chain-key-0123456789abcdef0123";

    private static final KeyPair KEYS = SigningKeys.generate(2048);

    /** The variables a test instance runs with; tests override single entries. */
    public static Map<String, String> defaultVariables() {
        TestServers servers = TestServers.get();
        Map<String, String> variables = new HashMap<>();
        variables.put("NODE_ENV", "test");
        variables.put("PORT", "0");
        variables.put("DATABASE_URL", servers.databaseUrl());
        variables.put("REDIS_URL", servers.redisUrl());
        variables.put("REDIS_KEY_PREFIX", servers.redisKeyPrefix());
        variables.put("ISSUER_URL", ISSUER);
        variables.put("JWT_PRIVATE_KEY", Pem.escape(Pem.encodePrivate(KEYS.getPrivate())));
        variables.put("JWT_PUBLIC_KEY", Pem.encodePublic(KEYS.getPublic()));
        variables.put("CREDENTIAL_HASH_KEY", "test-credential-hash-key-0123456789abcdef");
        variables.put("AUDIT_CHAIN_KEY", AUDIT_CHAIN_KEY);
        variables.put("BOOTSTRAP_ADMIN_SECRET", ADMIN_SECRET);
        variables.put("CUSTOM_SCOPES", "weather:read,weather:write,reports:read");
        variables.put("POLICY_DIR", policyDirectory().toString());
        // Test classes share one Redis key space and call the token endpoint hundreds of times a minute: limits
        // are exercised by RateLimitTest with its own key space, not left to trip other tests.
        variables.put("RATE_LIMIT_MAX_REQUESTS", "1000000");
        variables.put("AUTH_FAILURE_MAX_PER_CLIENT", "1000000");
        variables.put("AUTH_FAILURE_MAX_PER_IP", "1000000");
        variables.put("AUTH_FAILURE_CEILING_PER_CLIENT", "1000000");
        return variables;
    }

    /** The repository's policies/ folder: the policy the service ships. */
    public static java.nio.file.Path policyDirectory() {
        return java.nio.file.Path.of("..", "policies").toAbsolutePath().normalize();
    }

    public static KeyPair keys() {
        return KEYS;
    }

    public static RunningIdp start() throws Exception {
        return start(Map.of());
    }

    public static RunningIdp start(Map<String, String> overrides) throws Exception {
        Map<String, String> variables = defaultVariables();
        variables.putAll(overrides);
        AppConfig config = AppConfig.fromEnvironment(variables);
        Metrics metrics = new Metrics();
        Vertx vertx = metrics.createVertx();
        try {
            AgentIdp idp = new AgentIdp(config, metrics);
            String deployment = vertx.deployVerticle(idp)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            return new RunningIdp(vertx, idp, deployment);
        } catch (Exception e) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** Runs audit retention now with the given period; returns how many events were archived and pruned. */
    public long pruneAudit(java.time.Duration retention) throws Exception {
        return idp.maintenance()
                .pruneAudit(retention)
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    /** Runs the hourly deletion of expired revocations now; returns how many rows went. */
    public long pruneRevocations() throws Exception {
        return idp.maintenance()
                .pruneRevocations()
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
    }

    public boolean reloadPolicy() {
        return idp.reloadPolicy();
    }

    /** The token side's client directory, for tests that wait on its notification state. */
    public ai.sentryagent.agentidp.credential.ClientDirectory clients() {
        return idp.clients();
    }

    /** The jwt-bearer grant's trust policy directory, for tests that wait on its notification state. */
    public ai.sentryagent.agentidp.federation.TrustPolicyDirectory trustPolicyDirectory() {
        return idp.trustPolicyDirectory();
    }

    /** Bytes of the request-body budget not reserved by an unfinished body (F-17 accounting). */
    public long bodyBudgetFree() {
        return ai.sentryagent.agentidp.http.RequestBudget.free(vertx);
    }

    public int port() {
        return idp.port();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + idp.port() + path);
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    public HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30));
    }

    /** POSTs a form to an OAuth endpoint, optionally with HTTP Basic client credentials. */
    public HttpResponse<String> postForm(String path, String form, String basicId, String basicSecret)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = request(path)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (basicId != null) {
            request.header("Authorization", basic(basicId, basicSecret));
        }
        return send(request.build());
    }

    public static String basic(String id, String secret) {
        String pair =
                URLEncoder.encode(id, StandardCharsets.UTF_8) + ":" + URLEncoder.encode(secret, StandardCharsets.UTF_8);
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    /** A token for the client, or an assertion error with the response. */
    public String token(String clientId, String secret, String scope) throws IOException, InterruptedException {
        String form = "grant_type=client_credentials"
                + (scope == null ? "" : "&scope=" + URLEncoder.encode(scope, StandardCharsets.UTF_8));
        HttpResponse<String> response = postForm("/api/v1/token", form, clientId, secret);
        if (response.statusCode() != 200) {
            throw new AssertionError("token request failed: " + response.statusCode() + " " + response.body());
        }
        return new JsonObject(response.body()).getString("access_token");
    }

    public String adminToken() throws IOException, InterruptedException {
        return token(ADMIN_CLIENT_ID, ADMIN_SECRET, null);
    }

    /** A management call with a bearer token and an optional JSON body. */
    public HttpResponse<String> call(String method, String path, String bearer, JsonObject body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = request(path);
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
            request.method(method, HttpRequest.BodyPublishers.ofString(body.encode()));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return send(request.build());
    }

    /** Registers an agent as the administrator and returns it. */
    public JsonObject createAgent(String name, String... scopes) throws IOException, InterruptedException {
        JsonObject body = new JsonObject()
                .put("name", name)
                .put("owner", "team-test")
                .put("scopes", new io.vertx.core.json.JsonArray(java.util.List.of(scopes)));
        HttpResponse<String> response = call("POST", "/api/v1/agents", adminToken(), body);
        if (response.statusCode() != 201) {
            throw new AssertionError("agent creation failed: " + response.statusCode() + " " + response.body());
        }
        return new JsonObject(response.body());
    }

    /** Creates a credential for an agent as the administrator; the response holds the secret. */
    public JsonObject createCredential(String agentId) throws IOException, InterruptedException {
        HttpResponse<String> response = call("POST", "/api/v1/agents/" + agentId + "/credentials", adminToken(), null);
        if (response.statusCode() != 201) {
            throw new AssertionError("credential creation failed: " + response.statusCode() + " " + response.body());
        }
        return new JsonObject(response.body());
    }

    @Override
    public void close() throws Exception {
        // Two steps from this thread: a callback of the undeployed verticle's context would never see Vert.x close.
        try {
            vertx.undeploy(deployment).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
