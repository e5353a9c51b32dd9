package ai.sentryagent.agentidp.store;

import ai.sentryagent.agentidp.config.AppConfig.RuntimeRole;
import ai.sentryagent.agentidp.config.DatabaseUrl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the versioned SQL migrations under {@code db/migration} as the migrator (the schema owner), and grants the
 * service's runtime role what it needs and no more. Flyway takes a PostgreSQL advisory lock, so several tasks
 * starting at once apply each migration exactly once. Blocking: run it off the event loop.
 */
public final class Migrations {
    private Migrations() {}

    /** Serialises concurrent grants (two `migrate` tasks racing on CREATE ROLE fail with a unique violation). */
    private static final long GRANT_LOCK = 0x61676e7469647031L;

    public static MigrateResult apply(DatabaseUrl url) {
        return withJdbcUrl(
                url,
                jdbcUrl -> Flyway.configure()
                        .dataSource(jdbcUrl, url.user(), url.password())
                        .locations("classpath:db/migration")
                        .connectRetries(5)
                        .connectRetriesInterval(2)
                        .failOnMissingLocations(true)
                        .load()
                        .migrate());
    }

    /**
     * Creates the runtime role if it does not exist (LOGIN; with its password when given, else the platform creates
     * it and its credentials, as Cloud SQL does), sets the password when given, and grants exactly DML on the
     * migrator's schema: USAGE on the schema, SELECT/INSERT/UPDATE/DELETE on the tables, USAGE/SELECT on the
     * sequences, and the same as default privileges for what later migrations create. Nothing that allows DDL:
     * no CREATE on the schema, no ownership (ALTER, DROP, disabling the audit triggers), no TRUNCATE, no REFERENCES,
     * no TRIGGER; nothing on Flyway's history table. Safe to repeat.
     *
     * @return the statements run, without the password, for the log
     */
    public static List<String> grantRuntimeRole(DatabaseUrl url, RuntimeRole role) {
        return withJdbcUrl(url, jdbcUrl -> {
            try (Connection connection = DriverManager.getConnection(jdbcUrl, url.user(), url.password())) {
                connection.setAutoCommit(false);
                List<String> log = new ArrayList<>();
                try (Statement statement = connection.createStatement()) {
                    statement.execute("SELECT pg_advisory_xact_lock(" + GRANT_LOCK + ")");
                    String schema = scalar(connection, "SELECT current_schema()");
                    boolean exists =
                            scalar(connection, "SELECT 1 FROM pg_roles WHERE rolname = ?", role.name()) != null;
                    if (!exists) {
                        execute(connection, log, "CREATE ROLE %I LOGIN", role.name(), null);
                    }
                    if (role.password().isPresent()) {
                        execute(
                                connection,
                                log,
                                "ALTER ROLE %I LOGIN PASSWORD %L",
                                role.name(),
                                role.password().get().value());
                    }
                    String on = " IN SCHEMA " + quote(connection, schema) + " ";
                    String to = " TO " + quote(connection, role.name());
                    String from = " FROM " + quote(connection, role.name());
                    for (String sql : List.of(
                            "GRANT USAGE ON SCHEMA " + quote(connection, schema) + to,
                            // PostgreSQL before 15 lets PUBLIC create in the public schema; the runtime role must not.
                            "REVOKE CREATE ON SCHEMA " + quote(connection, schema) + " FROM PUBLIC",
                            "REVOKE CREATE ON SCHEMA " + quote(connection, schema) + from,
                            "REVOKE ALL ON ALL TABLES" + on + from,
                            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES" + on + to,
                            "GRANT USAGE, SELECT ON ALL SEQUENCES" + on + to,
                            "ALTER DEFAULT PRIVILEGES" + on + "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES" + to,
                            "ALTER DEFAULT PRIVILEGES" + on + "GRANT USAGE, SELECT ON SEQUENCES" + to,
                            "REVOKE ALL ON TABLE " + quote(connection, schema) + ".flyway_schema_history" + from)) {
                        statement.execute(sql);
                        log.add(sql);
                    }
                }
                connection.commit();
                return log;
            } catch (SQLException e) {
                throw new IllegalStateException(
                        "could not grant DATABASE_RUNTIME_ROLE " + role.name() + ": " + e.getMessage(), e);
            }
        });
    }

    private static void execute(Connection connection, List<String> log, String format, String name, String secret)
            throws SQLException {
        // format() quotes the name (%I) and the password (%L) on the server: DDL takes no bind parameters.
        String sql = scalar(connection, "SELECT format(?, ?, ?)", format, name, secret);
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
        log.add(secret == null ? sql : format.replace("%I", name).replace("%L", "'***'"));
    }

    private static String quote(Connection connection, String identifier) throws SQLException {
        return scalar(connection, "SELECT quote_ident(?)", identifier);
    }

    private static String scalar(Connection connection, String sql, String... parameters) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setString(i + 1, parameters[i]);
            }
            try (ResultSet result = statement.executeQuery()) {
                return result.next() ? result.getString(1) : null;
            }
        }
    }

    private interface JdbcWork<T> {
        T run(String jdbcUrl) throws SQLException;
    }

    /**
     * The JDBC driver takes the CA bundle only as a file ({@code sslrootcert}); it lives for the call, readable by
     * this user alone.
     */
    private static <T> T withJdbcUrl(DatabaseUrl url, JdbcWork<T> work) {
        if (!url.sslMode().verifiesServer() || url.caCertificate().isEmpty()) {
            return run(work, url.jdbcUrl());
        }
        Path bundle = null;
        try {
            bundle = Files.createTempFile(
                    "agentidp-db-ca",
                    ".pem",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(bundle, url.caCertificate().get());
            return run(work, url.jdbcUrl() + "&sslrootcert=" + bundle.toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException("could not write DATABASE_CA_CERT for the JDBC driver", e);
        } finally {
            if (bundle != null) {
                try {
                    Files.deleteIfExists(bundle);
                } catch (IOException ignored) {
                    // A temporary file of public certificates; the OS cleans it up.
                }
            }
        }
    }

    private static <T> T run(JdbcWork<T> work, String jdbcUrl) {
        try {
            return work.run(jdbcUrl);
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
