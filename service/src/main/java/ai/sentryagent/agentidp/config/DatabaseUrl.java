package ai.sentryagent.agentidp.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A PostgreSQL connection URL ({@code postgres://} or {@code postgresql://}), parsed once. The password never
 * appears in {@link #toString()}.
 */
public record DatabaseUrl(String host, int port, String database, String user, String password, SslMode sslMode) {

    /** The libpq {@code sslmode} values this service supports. */
    public enum SslMode {
        DISABLE,
        PREFER,
        REQUIRE,
        VERIFY_CA,
        VERIFY_FULL;

        String libpqName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
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

    private static final int DEFAULT_PORT = 5432;

    /**
     * Parses {@code postgres://user:password@host:port/database?sslmode=require}. Messages never contain the URL,
     * because it carries the password.
     */
    public static DatabaseUrl parse(String raw) {
        URI uri;
        try {
            uri = new URI(raw.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(
                    "is not a valid URL (expected postgres://user:password@host:5432/database); percent-encode"
                            + " special characters in the password");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("postgres") || scheme.equals("postgresql"))) {
            throw new IllegalArgumentException("must start with postgres:// or postgresql://");
        }
        String host = unbracket(uri.getHost());
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("has no host (expected postgres://user:password@host:5432/database)");
        }
        int port = uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("has an invalid port " + port);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String database = decode(path.startsWith("/") ? path.substring(1) : path);
        if (database.isBlank() || database.contains("/")) {
            throw new IllegalArgumentException("has no database name (expected .../database)");
        }
        String user = "postgres";
        String password = null;
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null && !userInfo.isEmpty()) {
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
        }
        SslMode sslMode = SslMode.PREFER;
        for (Map.Entry<String, String> parameter : query(uri.getRawQuery()).entrySet()) {
            switch (parameter.getKey()) {
                case "sslmode" -> sslMode = SslMode.fromLibpq(parameter.getValue());
                case "ssl" -> sslMode = Boolean.parseBoolean(parameter.getValue()) ? SslMode.REQUIRE : SslMode.DISABLE;
                default ->
                    throw new IllegalArgumentException("has an unsupported parameter '"
                            + Env.printable(parameter.getKey()) + "' (supported: sslmode)");
            }
        }
        return new DatabaseUrl(host, port, database, user, password, sslMode);
    }

    /** The same location as a JDBC URL for Flyway; credentials travel separately. */
    public String jdbcUrl() {
        String jdbcHost = host.contains(":") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + jdbcHost + ":" + port + "/" + database + "?sslmode=" + sslMode.libpqName();
    }

    @Override
    public String toString() {
        return "postgres://" + user + (password == null ? "" : ":***") + "@" + host + ":" + port + "/" + database
                + "?sslmode=" + sslMode.libpqName();
    }

    private static Map<String, String> query(String rawQuery) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return parameters;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            parameters.put(decode(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : decode(pair.substring(eq + 1)));
        }
        return parameters;
    }

    static String unbracket(String host) {
        return host != null && host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private static String decode(String value) {
        return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
