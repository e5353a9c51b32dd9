package ai.sentryagent.agentidp.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A throwaway PostgreSQL cluster that this test owns, with TLS on: a CA made for the run signs a server certificate
 * that names {@code localhost} only (no IP address), and a second, unrelated CA plays the attacker's. Needs the
 * PostgreSQL server binaries (as on the development and CI machines) and {@code openssl}; PostgreSQL refuses to run
 * as root, so as root the cluster runs as the {@code postgres} user.
 */
public final class TlsPostgres implements AutoCloseable {
    private final Path home;
    private final Path bin;
    private final int port;

    private TlsPostgres(Path home, Path bin, int port) {
        this.home = home;
        this.bin = bin;
        this.port = port;
    }

    public static TlsPostgres start() throws IOException, InterruptedException {
        Path bin = serverBinaries();
        Assumptions.assumeTrue(bin != null, "no PostgreSQL server binaries under /usr/lib/postgresql");
        Path home = Files.createTempDirectory("agentidp-pgtls");
        int port = TestServers.freePort();
        TlsPostgres server = new TlsPostgres(home, bin, port);
        try {
            server.makeCertificates();
            boolean root = "root".equals(System.getProperty("user.name"));
            if (root) {
                run(home, "chown", "-R", "postgres", home.toString());
            }
            server.asServerUser(
                    root,
                    bin.resolve("initdb").toString(),
                    "-D",
                    home.resolve("data").toString(),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync");
            server.asServerUser(
                    root,
                    bin.resolve("pg_ctl").toString(),
                    "-D",
                    home.resolve("data").toString(),
                    "-w",
                    "-t",
                    "60",
                    "-l",
                    home.resolve("server.log").toString(),
                    "-o",
                    "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + home
                            + " -c ssl=on -c ssl_cert_file=" + home.resolve("server.crt")
                            + " -c ssl_key_file=" + home.resolve("server.key") + " -c fsync=off",
                    "start");
            return server;
        } catch (IOException | RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
    }

    public int port() {
        return port;
    }

    /** The CA that signed the server certificate. */
    public String caCertificate() throws IOException {
        return Files.readString(home.resolve("ca.crt"));
    }

    /** A CA that did not sign it. */
    public String otherCaCertificate() throws IOException {
        return Files.readString(home.resolve("other-ca.crt"));
    }

    private void makeCertificates() throws IOException, InterruptedException {
        String ec = "ec_paramgen_curve:prime256v1";
        for (String ca : List.of("ca", "other-ca")) {
            run(
                    home,
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    ec,
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=agentidp test " + ca,
                    "-keyout",
                    ca + ".key",
                    "-out",
                    ca + ".crt");
        }
        Files.writeString(
                home.resolve("server.ext"),
                "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
        run(
                home,
                "openssl",
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                ec,
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-keyout",
                "server.key",
                "-out",
                "server.csr");
        run(
                home,
                "openssl",
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "server.ext",
                "-out",
                "server.crt");
        run(home, "chmod", "600", "server.key");
    }

    private void asServerUser(boolean root, String... command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (root) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(List.of(command));
        run(home, full.toArray(String[]::new));
    }

    private static void run(Path directory, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("commands.log").toFile())
                .start();
        if (!process.waitFor(90, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException(
                    String.join(" ", command) + " failed: " + Files.readString(directory.resolve("commands.log")));
        }
    }

    private static Path serverBinaries() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(version -> version.resolve("bin"))
                    .filter(candidate -> Files.isExecutable(candidate.resolve("pg_ctl")))
                    .max(Comparator.naturalOrder())
                    .orElse(null);
        }
    }

    @Override
    public void close() {
        try {
            if (Files.exists(home.resolve("data/postmaster.pid"))) {
                asServerUser(
                        "root".equals(System.getProperty("user.name")),
                        bin.resolve("pg_ctl").toString(),
                        "-D",
                        home.resolve("data").toString(),
                        "-m",
                        "immediate",
                        "-w",
                        "stop");
            }
        } catch (IOException | InterruptedException e) {
            System.err.println("could not stop the TLS test cluster: " + e.getMessage());
        }
        try (Stream<Path> files = Files.walk(home)) {
            files.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + home + ": " + e.getMessage());
        }
    }
}
