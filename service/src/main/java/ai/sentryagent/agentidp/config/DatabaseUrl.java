package ai.sentryagent.agentidp.config;

import io.vertx.pgclient.PgConnectOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;

/**
 * Where PostgreSQL is and how to trust it: a {@code postgres://} or {@code postgresql://} URL ({@code DATABASE_URL}),
 * parsed once by the Vert.x client's own parser, plus the CA bundle that authenticates the server under
 * {@code verify-ca}/{@code verify-full} ({@code DATABASE_CA_CERT}). The password never appears in {@link #toString()}
 * or in a parse error.
 *
 * @param caCertificate the PEM bundle to trust (the RDS bundle, the Cloud SQL server CA); empty unless verifying
 */
public record DatabaseUrl(
        String host,
        int port,
        String database,
        String user,
        String password,
        SslMode sslMode,
        Optional<String> caCertificate) {

    /** The libpq {@code sslmode} values this service supports, with libpq's meaning. */
    public enum SslMode {
        DISABLE,
        PREFER,
        REQUIRE,
        VERIFY_CA,
        VERIFY_FULL;

        String libpqName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** Whether this mode authenticates the server (and so needs {@code DATABASE_CA_CERT}). */
        public boolean verifiesServer() {
            return this == VERIFY_CA || this == VERIFY_FULL;
        }

        static SslMode fromLibpq(String value) {
            for (SslMode mode : values()) {
                if (mode.libpqName().equals(value)) {
                    return mode;
                }
            }
            throw new IllegalArgumentException("has an unsupported sslmode '" + Env.printable(value)
                    + "' (use disable, prefer, require, verify-ca or verify-full)");
        }
    }

    /** A URL without a CA bundle (the server is not authenticated, or is authenticated later). */
    public DatabaseUrl(String host, int port, String database, String user, String password, SslMode sslMode) {
        this(host, port, database, user, password, sslMode, Optional.empty());
    }

    /**
     * Parses {@code postgres://user:password@host:port/database?sslmode=require}. The Vert.x parser reads the parts;
     * what it would silently default (no host, no database, user "user", password "pass") or echo in its errors (the
     * whole URL, password included) is checked here first, so every message names the fault and never the URL.
     */
    public static DatabaseUrl parse(String raw) {
        String trimmed = raw.trim();
        URI uri;
        try {
            uri = new URI(trimmed);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(
                    "is not a valid URL (expected postgres://user:password@host:5432/database); percent-encode"
                            + " special characters in the password");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("postgres") || scheme.equals("postgresql"))) {
            throw new IllegalArgumentException("must start with postgres:// or postgresql://");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new IllegalArgumentException("has no host (expected postgres://user:password@host:5432/database)");
        }
        if (uri.getPort() != -1 && (uri.getPort() < 1 || uri.getPort() > 65535)) {
            throw new IllegalArgumentException("has an invalid port " + uri.getPort());
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (path.length() <= 1 || path.indexOf('/', 1) >= 0) {
            throw new IllegalArgumentException("has no database name (expected .../database)");
        }
        SslMode sslMode = SslMode.PREFER;
        String query = uri.getRawQuery();
        if (query != null) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : pair.substring(eq + 1);
                switch (name) {
                    case "sslmode" -> sslMode = SslMode.fromLibpq(value);
                    // pg-connection-string's spelling, kept for URLs written for the seed.
                    case "ssl" -> sslMode = Boolean.parseBoolean(value) ? SslMode.REQUIRE : SslMode.DISABLE;
                    default ->
                        throw new IllegalArgumentException(
                                "has an unsupported parameter '" + Env.printable(name) + "' (supported: sslmode)");
                }
            }
        }
        String withoutQuery = query == null ? trimmed : trimmed.substring(0, trimmed.indexOf('?'));
        PgConnectOptions parsed;
        try {
            // The library's pattern has no '+' in user information, which libpq and generated passwords allow.
            parsed = PgConnectOptions.fromUri(withoutQuery.replace("+", "%2B"));
        } catch (IllegalArgumentException e) {
            // The library's message repeats the URL; say what is wrong instead.
            throw new IllegalArgumentException(
                    "is not a valid URL (expected postgres://user:password@host:5432/database); percent-encode"
                            + " special characters in the user name and password");
        }
        String userInfo = uri.getRawUserInfo();
        boolean hasUser = userInfo != null && !userInfo.isEmpty() && userInfo.charAt(0) != ':';
        boolean hasPassword = userInfo != null && userInfo.indexOf(':') >= 0;
        return new DatabaseUrl(
                parsed.getHost(),
                parsed.getPort(),
                parsed.getDatabase(),
                hasUser ? parsed.getUser() : "postgres",
                hasPassword ? parsed.getPassword() : null,
                sslMode);
    }

    /** This location, trusting the given CA bundle. */
    public DatabaseUrl withCaCertificate(Optional<String> pemBundle) {
        return new DatabaseUrl(host, port, database, user, password, sslMode, pemBundle);
    }

    /** The same location as a JDBC URL for Flyway; credentials travel separately, the CA as a file. */
    public String jdbcUrl() {
        String jdbcHost = host.contains(":") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + jdbcHost + ":" + port + "/" + database + "?sslmode=" + sslMode.libpqName();
    }

    @Override
    public String toString() {
        return "postgres://" + user + (password == null ? "" : ":***") + "@" + host + ":" + port + "/" + database
                + "?sslmode=" + sslMode.libpqName();
    }

    static String unbracket(String host) {
        return host != null && host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
