package ai.sentryagent.agentidp.dev;

import ai.sentryagent.agentidp.UserFacingException;
import ai.sentryagent.agentidp.crypto.CredentialHasher;
import ai.sentryagent.agentidp.crypto.Pem;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

/**
 * Embedded PostgreSQL and Redis for {@code dev}, with their data under one directory. One instance per directory:
 * a file lock keeps a second {@code dev} from starting on the same data. {@link #close()} stops both processes.
 */
public final class DevEnvironment implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DevEnvironment.class);
    static final String DATABASE = "agentidp";

    private final Path home;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final EmbeddedPostgres postgres;
    private final RedisServer redis;
    private final int redisPort;
    private final long redisPid;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DevEnvironment(
            Path home,
            FileChannel lockChannel,
            FileLock lock,
            EmbeddedPostgres postgres,
            RedisServer redis,
            int redisPort,
            long redisPid) {
        this.home = home;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.postgres = postgres;
        this.redis = redis;
        this.redisPort = redisPort;
        this.redisPid = redisPid;
    }

    /** Takes the directory's lock, then starts PostgreSQL and Redis on free loopback ports. */
    public static DevEnvironment start(Path home) throws IOException {
        privateDirectory(home);
        FileChannel channel = FileChannel.open(
                home.resolve("dev.lock"), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock = tryLock(channel);
        if (lock == null) {
            String holder = readHolder(channel).map(pid -> " (pid " + pid + ")").orElse("");
            channel.close();
            throw new UserFacingException("another 'agentidp dev' is already running on " + home + holder
                    + "; stop it first, or use --data-dir for a separate instance");
        }
        channel.truncate(0);
        channel.write(
                ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)));
        channel.force(true);

        EmbeddedPostgres postgres = null;
        RedisServer redis = null;
        try {
            Path pgData = home.resolve("postgres");
            stopOrphan(pgData.resolve("postmaster.pid"), "postgres");
            // Not under the world-writable temporary directory, where another local user could plant binaries
            // before the first run (F-18), but inside the data directory, which only this user may enter.
            Path binaries = privateDirectory(home.resolve("postgres-binaries"));
            postgres = EmbeddedPostgres.builder()
                    .setOverrideWorkingDirectory(binaries.toFile())
                    .setDataDirectory(pgData)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("unix_socket_directories", "")
                    .start();
            privateDirectory(binaries); // the library opens its working directory to everyone: close it again
            ensureDatabase(postgres);

            Path redisData = home.resolve("redis");
            Files.createDirectories(redisData);
            stopOrphan(redisData.resolve("redis.pid"), "redis");
            int redisPort = freePort();
            redis = RedisServer.newRedisServer()
                    .bind("127.0.0.1")
                    .port(redisPort)
                    .setting("dir " + redisData)
                    .setting("pidfile " + redisData.resolve("redis.pid"))
                    .setting("appendonly yes")
                    .setting("appendfsync everysec")
                    .setting("save 60 1")
                    .soutListener(line -> LOG.debug("redis: {}", line))
                    .serrListener(line -> LOG.debug("redis: {}", line))
                    .build();
            redis.start();
            long redisPid = Long.parseLong(
                    Files.readAllLines(redisData.resolve("redis.pid")).get(0).trim());
            return new DevEnvironment(home, channel, lock, postgres, redis, redisPort, redisPid);
        } catch (IOException | RuntimeException e) {
            stopQuietly(redis);
            closeQuietly(postgres);
            lock.release();
            channel.close();
            throw e;
        }
    }

    /**
     * The variables that point the service at the embedded servers, with a signing key, credential hash key and
     * audit chain key kept under the data directory (so tokens, credentials and the audit trail survive a restart).
     */
    public Map<String, String> variables() throws IOException {
        Map<String, String> variables = new HashMap<>();
        variables.put("NODE_ENV", "development");
        variables.put(
                "DATABASE_URL",
                "postgres://postgres@127.0.0.1:" + postgres.getPort() + "/" + DATABASE + "?sslmode=disable");
        variables.put("REDIS_URL", "redis://127.0.0.1:" + redisPort);
        // A local test issuer for trust policies (jwt-bearer) may serve its keys over plain HTTP on loopback.
        variables.put("FEDERATION_ALLOW_HTTP_LOOPBACK", "true");
        Path keys = home.resolve("keys");
        Files.createDirectories(keys);
        Path privateKey = keys.resolve("jwt_private.pem");
        if (!Files.exists(privateKey)) {
            writeSecret(privateKey, Pem.encodePrivate(SigningKeys.generate(2048).getPrivate()));
        }
        variables.put("JWT_PRIVATE_KEY", Files.readString(privateKey));
        Path hashKey = keys.resolve("credential-hash.key");
        if (!Files.exists(hashKey)) {
            writeSecret(hashKey, HexFormat.of().formatHex(CredentialHasher.randomBytes(32)));
        }
        variables.put("CREDENTIAL_HASH_KEY", Files.readString(hashKey).trim());
        Path chainKey = keys.resolve("audit-chain.key");
        if (!Files.exists(chainKey)) {
            writeSecret(chainKey, HexFormat.of().formatHex(CredentialHasher.randomBytes(32)));
        }
        variables.put("AUDIT_CHAIN_KEY", Files.readString(chainKey).trim());
        return variables;
    }

    /** The policy shipped inside the jar, copied under the data directory (for {@code dev} outside a checkout). */
    public Path bundledPolicies() throws IOException {
        Path target = home.resolve("policies");
        Files.createDirectories(target);
        try (var in = DevEnvironment.class.getResourceAsStream("/bundled-policies/agentidp.policy")) {
            if (in == null) {
                throw new IOException("the jar holds no bundled policy");
            }
            Files.write(target.resolve("agentidp.policy"), in.readAllBytes());
        }
        return target;
    }

    /** A directory only this user can read, write or enter (0700), whatever the umask; also when it existed. */
    private static Path privateDirectory(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        return directory;
    }

    private static void writeSecret(Path file, String content) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content);
    }

    public Path home() {
        return home;
    }

    /** Stops Redis, then PostgreSQL, then releases the directory. Safe to call twice. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stopRedis();
        closeQuietly(postgres);
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.warn("could not release {}: {}", home.resolve("dev.lock"), e.toString());
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    private static Optional<String> readHolder(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            channel.read(buffer, 0);
            String pid = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).trim();
            return pid.matches("\\d+") ? Optional.of(pid) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * A previous {@code dev} killed with SIGKILL leaves its servers running on the data directory. We hold the
     * lock, so nothing else owns them: stop them before starting fresh ones.
     */
    private static void stopOrphan(Path pidFile, String what) {
        if (!Files.exists(pidFile)) {
            return;
        }
        try {
            String first =
                    Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
            if (!first.matches("\\d+")) {
                return;
            }
            Optional<ProcessHandle> orphan = ProcessHandle.of(Long.parseLong(first));
            if (orphan.isPresent() && orphan.get().isAlive()) {
                LOG.warn("stopping {} (pid {}) left running by a previous dev session", what, first);
                orphan.get().destroy();
                orphan.get()
                        .onExit()
                        .get(
                                java.util.concurrent.TimeUnit.SECONDS.toMillis(20),
                                java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        } catch (Exception e) {
            LOG.warn("could not stop the {} left by a previous dev session: {}", what, e.toString());
        }
    }

    private static void ensureDatabase(EmbeddedPostgres postgres) throws IOException {
        String url = "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
        try (Connection connection = DriverManager.getConnection(url, "postgres", null);
                PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, DATABASE);
            try (ResultSet rows = exists.executeQuery()) {
                if (rows.next()) {
                    return;
                }
            }
            try (Statement create = connection.createStatement()) {
                create.execute("CREATE DATABASE " + DATABASE);
            }
        } catch (java.sql.SQLException e) {
            throw new IOException("could not create the dev database: " + e.getMessage(), e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /**
     * Redis refuses to exit when its final save fails (disk full, data directory gone): give it ten seconds, then
     * kill it. The append-only file (fsync every second) still holds all but the last second.
     */
    private void stopRedis() {
        Thread stopper = new Thread(() -> stopQuietly(redis), "dev-redis-stop");
        stopper.setDaemon(true);
        stopper.start();
        try {
            stopper.join(10_000);
            if (stopper.isAlive()) {
                LOG.warn("embedded redis (pid {}) did not stop in 10 s (its final save failed?); killing it", redisPid);
                ProcessHandle.of(redisPid).ifPresent(ProcessHandle::destroyForcibly);
                stopper.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void stopQuietly(RedisServer redis) {
        if (redis == null) {
            return;
        }
        try {
            redis.stop();
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not stop embedded redis: {}", e.toString());
        }
    }

    private static void closeQuietly(EmbeddedPostgres postgres) {
        if (postgres == null) {
            return;
        }
        try {
            postgres.close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not stop embedded postgres: {}", e.toString());
        }
    }
}
