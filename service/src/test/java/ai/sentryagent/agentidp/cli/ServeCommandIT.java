package ai.sentryagent.agentidp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.testing.JarProcess;
import ai.sentryagent.agentidp.testing.RawHttp;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar agentidp.jar serve}, run as a process. */
class ServeCommandIT {
    @TempDir
    Path workDir;

    private Map<String, String> validEnv(int port) {
        Map<String, String> env = new HashMap<>(RunningIdp.defaultVariables());
        env.put("PORT", Integer.toString(port));
        return env;
    }

    @Test
    void malformedPortStopsStartupWithOneLineNamingIt() throws Exception {
        Map<String, String> env = validEnv(3000);
        env.put("PORT", "not-a-port");
        try (JarProcess serve = JarProcess.start(workDir, env, "serve")) {
            assertThat(serve.waitForExit(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(serve.stderr())
                    .containsExactly("agentidp: invalid configuration: PORT must be an integer between 0 and 65535,"
                            + " got 'not-a-port'");
        }
    }

    @Test
    void malformedDatabaseUrlStopsStartupWithOneLineNamingIt() throws Exception {
        Map<String, String> env = validEnv(3000);
        env.put("DATABASE_URL", "mysql://root:hunter2@db/agentidp");
        try (JarProcess serve = JarProcess.start(workDir, env, "serve")) {
            assertThat(serve.waitForExit(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(serve.stderr()).hasSize(1);
            assertThat(serve.stderr().get(0))
                    .contains("DATABASE_URL must start with postgres:// or postgresql://")
                    .doesNotContain("hunter2");
        }
    }

    @Test
    void noSecretOrTokenEverReachesTheLogs() throws Exception {
        int port = TestServers.freePort();
        Map<String, String> env = validEnv(port);
        env.put("LOG_LEVEL", "DEBUG");
        try (JarProcess serve = JarProcess.start(workDir, env, "serve")) {
            serve.awaitStdout(line -> line.contains("AgentIdP listening on port " + port), Duration.ofSeconds(90));
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + port;
            String admin = tokenFrom(http, base, "agentidp-admin", RunningIdp.ADMIN_SECRET);
            JsonObject agent = new JsonObject(http.send(
                            HttpRequest.newBuilder(URI.create(base + "/api/v1/agents"))
                                    .header("Authorization", "Bearer " + admin)
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(
                                            "{\"name\":\"logged\",\"owner\":\"o\",\"scopes\":[]}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body());
            String agentId = agent.getString("agentId");
            String secret = new JsonObject(http.send(
                                    HttpRequest.newBuilder(
                                                    URI.create(base + "/api/v1/agents/" + agentId + "/credentials"))
                                            .header("Authorization", "Bearer " + admin)
                                            .POST(HttpRequest.BodyPublishers.noBody())
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body())
                    .getString("clientSecret");
            String token = tokenFrom(http, base, agentId, secret);
            // A failed login with a secret-looking value must not be logged either.
            http.send(
                    HttpRequest.newBuilder(URI.create(base + "/api/v1/token"))
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id="
                                    + agentId + "&client_secret=" + secret + "WRONG"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            serve.signal("TERM");
            serve.waitForExit(Duration.ofSeconds(40));
            String everything = String.join("\n", serve.stdout()) + String.join("\n", serve.stderr());
            assertThat(secret).startsWith("sa_cs_");
            assertThat(everything)
                    .contains("AgentIdP listening")
                    .doesNotContain(secret)
                    .doesNotContain(RunningIdp.ADMIN_SECRET)
                    .doesNotContain(token)
                    .doesNotContain(admin)
                    .doesNotContain(env.get("CREDENTIAL_HASH_KEY"))
                    .doesNotContain("PRIVATE KEY");
        }
    }

    private static String tokenFrom(HttpClient http, String base, String clientId, String secret) throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(base + "/api/v1/token"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header("Authorization", RunningIdp.basic(clientId, secret))
                        .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body()).getString("access_token");
    }

    @Test
    void sigtermLetsAnInFlightRequestFinish() throws Exception {
        int port = TestServers.freePort();
        try (JarProcess serve = JarProcess.start(workDir, validEnv(port), "serve")) {
            serve.awaitStdout(line -> line.contains("AgentIdP listening on port " + port), Duration.ofSeconds(90));
            String body = "grant_type=client_credentials";
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
                socket.setSoTimeout(20_000);
                var out = socket.getOutputStream();
                // Headers and half of the body: the request is in flight when the signal arrives.
                out.write(("POST /api/v1/token HTTP/1.1\r\nHost: localhost\r\n"
                                + "Content-Type: application/x-www-form-urlencoded\r\n"
                                + "Authorization: " + RunningIdp.basic("agentidp-admin", RunningIdp.ADMIN_SECRET)
                                + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body.substring(0, 10))
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
                // In flight: the server has read the head and half the body before the signal ...
                int client = socket.getLocalPort();
                await().atMost(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(20))
                        .until(() -> RawHttp.consumedByServer(port, client));
                serve.signal("TERM");
                // ... and the rest of the body arrives only once draining has begun.
                serve.awaitStdout(line -> line.contains("received SIGTERM"), Duration.ofSeconds(10));
                out.write(body.substring(10).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
                String status = new java.io.BufferedReader(new java.io.InputStreamReader(
                                socket.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII))
                        .readLine();
                assertThat(status).isEqualTo("HTTP/1.1 200 OK");
            }
            assertThat(serve.waitForExit(Duration.ofSeconds(40))).isZero();
            // New connections are refused once draining began.
            assertThat(serve.stdout()).anyMatch(line -> line.contains("received SIGTERM"));
        }
    }

    @Test
    void sighupReloadsThePolicyWithoutARestart() throws Exception {
        java.nio.file.Path policies = java.nio.file.Files.createDirectories(workDir.resolve("policies"));
        java.nio.file.Path file = policies.resolve("agentidp.policy");
        java.nio.file.Files.copy(RunningIdp.policyDirectory().resolve("agentidp.policy"), file);
        int port = TestServers.freePort();
        Map<String, String> env = validEnv(port);
        env.put("POLICY_DIR", policies.toString());
        try (JarProcess serve = JarProcess.start(workDir, env, "serve")) {
            serve.awaitStdout(line -> line.contains("AgentIdP listening on port " + port), Duration.ofSeconds(90));
            java.nio.file.Files.writeString(
                    file, java.nio.file.Files.readString(file) + "\nGET /api/v1/agents weather:read\n");
            serve.signal("HUP");
            serve.awaitStdout(line -> line.contains("authorization policy reloaded"), Duration.ofSeconds(20));
            java.nio.file.Files.writeString(file, "version 1\nGET /api/v1/agents bogus:scope\n");
            serve.signal("HUP");
            serve.awaitStdout(
                    line -> line.contains("reload failed, keeping the previous policy")
                            && line.contains("unknown scope 'bogus:scope'"),
                    Duration.ofSeconds(20));
            assertThat(serve.process().isAlive()).isTrue();
        }
    }

    @Test
    void servesHealthAndStopsCleanlyOnSigterm() throws Exception {
        int port = TestServers.freePort();
        try (JarProcess serve = JarProcess.start(workDir, validEnv(port), "serve")) {
            serve.awaitStdout(line -> line.contains("AgentIdP listening on port " + port), Duration.ofSeconds(90));
            HttpResponse<String> health = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);

            serve.signal("TERM");
            int exit = serve.waitForExit(Duration.ofSeconds(40));
            assertThat(exit).isZero();
            assertThat(serve.stdout()).anyMatch(line -> line.contains("\"formattedMessage\":\"stopped\""));
            assertThat(serve.stdout()).allMatch(line -> line.startsWith("{") && line.endsWith("}"));
        }
    }
}
