package ai.sentryagent.agentidp.testing;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import redis.embedded.RedisServer;

/**
 * The PostgreSQL and Redis the tests run against: the servers named by {@code AGENTIDP_TEST_DATABASE_URL} and
 * {@code AGENTIDP_TEST_REDIS_URL} when set (CI), embedded ones otherwise (a laptop with only a JDK). Each test JVM
 * gets its own database and its own Redis key prefix, so concurrent runs never see each other's data.
 */
public final class TestServers {
    private static final String RUN_ID =
            UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);

    private static volatile TestServers instance;

    /** Set to {@code unit} by surefire (service/pom.xml): the tier that must not start or reach servers. */
    public static final String TIER_PROPERTY = "agentidp.test.tier";

    private final String databaseUrl;
    private final String adminJdbcUrl;
    private final String adminUser;
    private final String adminPassword;
    private final String databaseName;
    private final String redisUrl;
    private final EmbeddedPostgres embeddedPostgres;
    private final RedisServer embeddedRedis;
    private final java.util.List<String> extraDatabases =
            java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    private TestServers() throws IOException, SQLException {
        String configuredDb = System.getenv("AGENTIDP_TEST_DATABASE_URL");
        databaseName = "agentidp_test_" + RUN_ID;
        if (configuredDb != null && !configuredDb.isBlank()) {
            embeddedPostgres = null;
            DatabaseUrl admin = DatabaseUrl.parse(configuredDb);
            adminJdbcUrl = admin.jdbcUrl();
            adminUser = admin.user();
            adminPassword = admin.password();
            databaseUrl = withDatabase(configuredDb, admin, databaseName);
        } else {
            embeddedPostgres =
                    EmbeddedPostgres.builder().setRegisterShutdownHook(false).start();
            adminJdbcUrl = "jdbc:postgresql://127.0.0.1:" + embeddedPostgres.getPort() + "/postgres";
            adminUser = "postgres";
            adminPassword = null;
            databaseUrl = "postgres://postgres@127.0.0.1:" + embeddedPostgres.getPort() + "/" + databaseName
                    + "?sslmode=disable";
        }
        try (Connection connection = DriverManager.getConnection(adminJdbcUrl, adminUser, adminPassword);
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + databaseName);
        }

        String configuredRedis = System.getenv("AGENTIDP_TEST_REDIS_URL");
        if (configuredRedis != null && !configuredRedis.isBlank()) {
            embeddedRedis = null;
            redisUrl = configuredRedis;
        } else {
            int port = freePort();
            embeddedRedis = startRedis(port);
            redisUrl = "redis://127.0.0.1:" + port;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::tearDown, "test-servers-teardown"));
    }

    /** The shared servers of this test JVM, started on first use. */
    public static TestServers get() {
        if ("unit".equals(System.getProperty(TIER_PROPERTY))) {
            // The unit tier (surefire) runs without servers so that it stays fast: see IntegrationTest.
            throw new IllegalStateException(
                    "this test reaches for PostgreSQL/Redis: annotate its class with @IntegrationTest (testing package)");
        }
        TestServers current = instance;
        if (current == null) {
            synchronized (TestServers.class) {
                current = instance;
                if (current == null) {
                    try {
                        current = new TestServers();
                    } catch (IOException | SQLException e) {
                        throw new IllegalStateException("could not prepare test servers: " + e.getMessage(), e);
                    }
                    instance = current;
                }
            }
        }
        return current;
    }

    /** A {@code postgres://} URL of this run's own database. */
    public String databaseUrl() {
        return databaseUrl;
    }

    public String redisUrl() {
        return redisUrl;
    }

    /** A further database of this run, for tests that must not share state (e.g. one that breaks the audit chain). */
    public String createDatabase(String suffix) throws SQLException {
        String name = databaseName + "_" + suffix;
        try (Connection connection = DriverManager.getConnection(adminJdbcUrl, adminUser, adminPassword);
                Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            statement.execute("CREATE DATABASE " + name);
        }
        extraDatabases.add(name);
        return databaseUrl.replace("/" + databaseName + "?", "/" + name + "?");
    }

    /** A Redis key prefix unique to this run. */
    public String redisKeyPrefix() {
        return "agentidp-test-" + RUN_ID + ":";
    }

    /** A JDBC connection to this run's database as the owner (used to tamper with data behind the service's back). */
    public Connection jdbc() throws SQLException {
        DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
        return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
    }

    private void tearDown() {
        try (Connection connection = DriverManager.getConnection(adminJdbcUrl, adminUser, adminPassword);
                Statement statement = connection.createStatement()) {
            for (String extra : extraDatabases) {
                statement.execute("DROP DATABASE IF EXISTS " + extra + " WITH (FORCE)");
            }
            statement.execute("DROP DATABASE IF EXISTS " + databaseName + " WITH (FORCE)");
        } catch (SQLException e) {
            System.err.println("could not drop test database " + databaseName + ": " + e.getMessage());
        }
        try {
            if (embeddedRedis != null) {
                embeddedRedis.stop();
            }
            if (embeddedPostgres != null) {
                embeddedPostgres.close();
            }
        } catch (IOException e) {
            System.err.println("could not stop embedded servers: " + e.getMessage());
        }
    }

    private static String withDatabase(String url, DatabaseUrl parsed, String database) {
        String base = url.substring(0, url.indexOf('/', url.indexOf("://") + 3));
        String query = url.contains("?")
                ? url.substring(url.indexOf('?'))
                : "?sslmode=" + parsed.sslMode().name().toLowerCase(Locale.ROOT).replace('_', '-');
        return base + "/" + database + query;
    }

    /** An embedded Redis on the port, keeping nothing on disk. */
    public static RedisServer startRedis(int port) throws IOException {
        RedisServer server = RedisServer.newRedisServer()
                .bind("127.0.0.1")
                .port(port)
                .setting("save \"\"")
                .setting("appendonly no")
                .soutListener(line -> {})
                .serrListener(line -> {})
                .build();
        server.start();
        return server;
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
