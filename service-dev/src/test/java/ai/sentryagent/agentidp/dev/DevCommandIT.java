package ai.sentryagent.agentidp.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.testing.JarProcess;
import ai.sentryagent.agentidp.testing.TestServers;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar agentidp-dev.jar dev}: embedded servers, persistence, one instance per directory, no orphans. */
class DevCommandIT {
    private static final Pattern POSTGRES_PORT =
            Pattern.compile("postgres: postgres://postgres@127\\.0\\.0\\.1:(\\d+)/");

    @TempDir
    Path workDir;

    @Test
    void runsOnEmbeddedServersKeepsDataAndLeavesNoOrphans() throws Exception {
        int port = TestServers.freePort();
        long postgresPid;
        long redisPid;
        try (JarProcess dev = JarProcess.start(workDir, Map.of("PORT", Integer.toString(port)), "dev")) {
            awaitListening(dev, port);
            assertThat(get(port, "/health/ready").statusCode()).isEqualTo(200);
            postgresPid = pid(workDir.resolve(".agentidp/postgres/postmaster.pid"));
            redisPid = pid(workDir.resolve(".agentidp/redis/redis.pid"));
            assertThat(ProcessHandle.of(postgresPid))
                    .hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
            assertThat(ProcessHandle.of(redisPid))
                    .hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
            writeMarker(dev);
            assertThat(adminTokenStatus(dev, port)).isEqualTo(200);
            assertLocalOnly(dev, port, postgresPid);

            // A second dev on the same data refuses with a clear one-line message, not a stack trace.
            try (JarProcess second = JarProcess.start(workDir, Map.of("PORT", Integer.toString(port + 1)), "dev")) {
                assertThat(second.waitForExit(Duration.ofSeconds(60))).isEqualTo(1);
                assertThat(second.stderr()).hasSize(1);
                assertThat(second.stderr().get(0))
                        .startsWith("agentidp: another 'agentidp dev' is already running on ")
                        .contains("(pid " + dev.process().pid() + ")");
            }

            dev.signal("TERM");
            dev.waitForExit(Duration.ofSeconds(60));
        }
        assertStopped(postgresPid, "postgres");
        assertStopped(redisPid, "redis");

        // Restart: the data is still there; Ctrl-C (SIGINT) stops everything too.
        try (JarProcess dev = JarProcess.start(workDir, Map.of("PORT", Integer.toString(port)), "dev")) {
            awaitListening(dev, port);
            assertThat(readMarker(dev)).isEqualTo("kept");
            assertThat(adminTokenStatus(dev, port)).isEqualTo(200);
            postgresPid = pid(workDir.resolve(".agentidp/postgres/postmaster.pid"));
            redisPid = pid(workDir.resolve(".agentidp/redis/redis.pid"));
            dev.signal("INT");
            dev.waitForExit(Duration.ofSeconds(60));
        }
        assertStopped(postgresPid, "postgres");
        assertStopped(redisPid, "redis");
    }

    /**
     * F-18: a dev server (a printed admin secret, a development configuration) is reachable from this machine only,
     * and runs PostgreSQL binaries from its own data directory (0700), not from a world-writable temporary directory
     * where another local user could have planted them (CWE-377/CWE-379).
     */
    private void assertLocalOnly(JarProcess dev, int port, long postgresPid) throws Exception {
        dev.awaitStdout(line -> line.equals("  bound to: 127.0.0.1"), Duration.ofSeconds(5));
        // Someone reads dev at a terminal: its startup log lines are text ("12:00:00.000 INFO  logger message").
        assertThat(dev.stdout()).anyMatch(line -> line.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO .+"));
        assertThat(dev.stdout()).noneMatch(line -> line.startsWith("{"));
        for (InetAddress address : nonLoopbackAddresses()) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(address, port), 2_000);
                throw new AssertionError("dev accepted a connection on " + address.getHostAddress());
            } catch (ConnectException refused) {
                // what loopback-only means
            }
        }
        Path binaries = workDir.resolve(".agentidp/postgres-binaries").toRealPath();
        assertThat(Files.getPosixFilePermissions(binaries)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(workDir.resolve(".agentidp")))
                .isEqualTo(PosixFilePermissions.fromString("rwx------"));
        Path executable = Path.of("/proc/" + postgresPid + "/exe").toRealPath();
        assertThat(executable).startsWith(binaries);
    }

    private static List<InetAddress> nonLoopbackAddresses() throws Exception {
        List<InetAddress> addresses = new ArrayList<>();
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (!address.isLoopbackAddress() && !address.isLinkLocalAddress() && nic.isUp()) {
                    addresses.add(address);
                }
            }
        }
        assertThat(addresses).as("this test needs a non-loopback interface").isNotEmpty();
        return addresses;
    }

    private static void awaitListening(JarProcess dev, int port) throws InterruptedException {
        dev.awaitStdout(
                line -> line.equals("AgentIdP dev server listening on http://localhost:" + port),
                Duration.ofSeconds(180));
    }

    /** The printed bootstrap secret really works at the printed token endpoint. */
    private static int adminTokenStatus(JarProcess dev, int port) throws Exception {
        String secret = dev.awaitStdout(line -> line.startsWith("  client secret: "), Duration.ofSeconds(5))
                .substring("  client secret: ".length());
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/token"))
                                .header("Content-Type", "application/x-www-form-urlencoded")
                                .header(
                                        "Authorization",
                                        ai.sentryagent.agentidp.testing.RunningIdp.basic("agentidp-admin", secret))
                                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    private static long pid(Path pidFile) throws Exception {
        return Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
    }

    private static void assertStopped(long pid, String what) {
        await(what + " (pid " + pid + ") stopped after dev stopped")
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    private static Connection connect(JarProcess dev) throws Exception {
        String line = dev.awaitStdout(l -> POSTGRES_PORT.matcher(l).find(), Duration.ofSeconds(5));
        Matcher matcher = POSTGRES_PORT.matcher(line);
        assertThat(matcher.find()).isTrue();
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + matcher.group(1) + "/agentidp", "postgres", null);
    }

    private static void writeMarker(JarProcess dev) throws Exception {
        try (Connection connection = connect(dev);
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE dev_restart_marker (value text)");
            statement.execute("INSERT INTO dev_restart_marker VALUES ('kept')");
        }
    }

    private static String readMarker(JarProcess dev) throws Exception {
        try (Connection connection = connect(dev);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT value FROM dev_restart_marker")) {
            assertThat(rows.next()).isTrue();
            return rows.getString(1);
        }
    }
}
