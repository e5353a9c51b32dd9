package ai.sentryagent.agentidp.testing;

import ai.sentryagent.agentidp.AgentIdp;
import ai.sentryagent.agentidp.config.AppConfig;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real AgentIdP on a free port, against the test servers, with a plain HTTP client to call it. */
public final class RunningIdp implements AutoCloseable {
    private final Vertx vertx;
    private final AgentIdp idp;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private RunningIdp(Vertx vertx, AgentIdp idp) {
        this.vertx = vertx;
        this.idp = idp;
    }

    /** The variables a test instance runs with; tests override single entries. */
    public static Map<String, String> defaultVariables() {
        TestServers servers = TestServers.get();
        Map<String, String> variables = new HashMap<>();
        variables.put("NODE_ENV", "test");
        variables.put("PORT", "0");
        variables.put("DATABASE_URL", servers.databaseUrl());
        variables.put("REDIS_URL", servers.redisUrl());
        variables.put("REDIS_KEY_PREFIX", servers.redisKeyPrefix());
        return variables;
    }

    public static RunningIdp start() throws Exception {
        return start(Map.of());
    }

    public static RunningIdp start(Map<String, String> overrides) throws Exception {
        Map<String, String> variables = defaultVariables();
        variables.putAll(overrides);
        AppConfig config = AppConfig.fromEnvironment(variables);
        Vertx vertx = Vertx.vertx();
        try {
            AgentIdp idp = AgentIdp.start(vertx, config)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            return new RunningIdp(vertx, idp);
        } catch (Exception e) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            throw e;
        }
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

    @Override
    public void close() throws Exception {
        idp.close()
                .eventually(vertx::close)
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }
}
