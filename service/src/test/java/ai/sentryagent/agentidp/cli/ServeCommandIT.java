package ai.sentryagent.agentidp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.JarProcess;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
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
            assertThat(exit).isEqualTo(143);
            assertThat(serve.stdout()).anyMatch(line -> line.contains("\"message\":\"stopped\""));
            assertThat(serve.stdout()).allMatch(line -> line.startsWith("{") && line.endsWith("}"));
        }
    }
}
