package ai.sentryagent.agentidp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.JarProcess;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code agentidp-server.jar}, the jar the container image runs: serves, signs, and says plainly it has no dev. */
class ServerJarIT {
    @TempDir
    Path workDir;

    @Test
    void servesTokensWithoutTheEmbeddedServersAndRefusesDevClearly() throws Exception {
        try (JarFile jar = new JarFile(JarProcess.serverJar().toFile())) {
            // No embedded PostgreSQL/Redis (zonky's binaries, embedded-redis): native code nobody patches in the image.
            assertThat(jar.stream().map(JarEntry::getName))
                    .noneMatch(name -> name.startsWith("io/zonky/")
                            || name.startsWith("redis/embedded/")
                            || name.endsWith(".txz"));
        }
        assertThat(Files.size(JarProcess.serverJar())).isLessThan(40L * 1024 * 1024);
        int port = TestServers.freePort();
        Map<String, String> env = new HashMap<>(RunningIdp.defaultVariables());
        env.put("PORT", Integer.toString(port));
        try (JarProcess serve = JarProcess.start(JarProcess.serverJar(), workDir, env, "serve")) {
            serve.awaitStdout(line -> line.contains("AgentIdP listening on port " + port), Duration.ofSeconds(90));
            HttpResponse<String> token = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/token"))
                                    .header("Content-Type", "application/x-www-form-urlencoded")
                                    .header(
                                            "Authorization",
                                            RunningIdp.basic("agentidp-admin", RunningIdp.ADMIN_SECRET))
                                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
            assertThat(serve.stdout()).anyMatch(line -> line.contains("signing RS256 tokens with the"));
            serve.signal("TERM");
            assertThat(serve.waitForExit(Duration.ofSeconds(40))).isZero();
        }
        try (JarProcess dev = JarProcess.start(JarProcess.serverJar(), workDir, Map.of(), "dev")) {
            assertThat(dev.waitForExit(Duration.ofSeconds(60))).isEqualTo(1);
            assertThat(dev.stderr()).hasSize(1);
            assertThat(dev.stderr().get(0)).contains("'dev' needs the embedded PostgreSQL and Redis");
        }
    }
}
