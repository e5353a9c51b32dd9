package ai.sentryagent.agentidp.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rediss://} against a real TLS Redis whose certificate comes from a private CA, the way Memorystore's does:
 * trusted through {@code REDIS_TLS_CA_CERT}, refused without it. Needs {@code openssl} and a TLS-enabled
 * {@code redis-server} on the PATH (CI has both); skipped otherwise.
 */
@IntegrationTest
class RedisTlsTest {
    @TempDir
    Path dir;

    private void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor())
                .as(String.join(" ", command) + "\n" + output)
                .isZero();
    }

    private static boolean available(String command) {
        try {
            return new ProcessBuilder("sh", "-c", "command -v " + command)
                            .start()
                            .waitFor()
                    == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void rediss_withThePrivateCaIsTrustedAndWithoutItRefused() throws Exception {
        assumeTrue(available("openssl") && available("redis-server"), "needs openssl and redis-server");
        run(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=test-ca",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem");
        run(
                "openssl",
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=redis",
                "-keyout",
                "server.key",
                "-out",
                "server.csr");
        Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
        run(
                "openssl",
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "san.ext",
                "-out",
                "server.pem");
        int port = TestServers.freePort();
        Process redis = new ProcessBuilder(List.of(
                        "redis-server",
                        "--port",
                        "0",
                        "--tls-port",
                        Integer.toString(port),
                        "--bind",
                        "127.0.0.1",
                        "--tls-cert-file",
                        "server.pem",
                        "--tls-key-file",
                        "server.key",
                        "--tls-ca-cert-file",
                        "ca.pem",
                        "--tls-auth-clients",
                        "no",
                        "--requirepass",
                        "tls-secret",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        dir.toString()))
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        try {
            await("redis-server accepting TLS connections on " + port)
                    .atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(50))
                    .ignoreExceptions()
                    .until(() -> {
                        try (Socket socket = new Socket("127.0.0.1", port)) {
                            return true;
                        }
                    });
            String url = "rediss://:tls-secret@127.0.0.1:" + port;
            String ca = Files.readString(dir.resolve("ca.pem"));
            try (RunningIdp idp = RunningIdp.start(Map.of("REDIS_URL", url, "REDIS_TLS_CA_CERT", ca))) {
                assertThat(idp.get("/health/ready").body()).contains("\"redis\":{\"status\":\"up\"}");
                String id = idp.createAgent("tls", "weather:read").getString("agentId");
                String secret = idp.createCredential(id).getString("clientSecret");
                assertThat(idp.postForm("/api/v1/token", "grant_type=client_credentials", id, secret)
                                .statusCode())
                        .isEqualTo(200);
                assertThat(idp.get("/metrics").body()).contains("agentidp_redis_degraded 0");
            }
            // Without the CA the JVM's trust store does not know this server: no connection, readiness says so.
            try (RunningIdp idp = RunningIdp.start(Map.of("REDIS_URL", url))) {
                assertThat(idp.get("/health/ready").body()).contains("redis unavailable");
            }
        } finally {
            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
