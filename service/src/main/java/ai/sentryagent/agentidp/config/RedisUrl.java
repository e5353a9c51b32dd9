package ai.sentryagent.agentidp.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A Redis connection URL ({@code redis://} or {@code rediss://} for TLS), parsed once. The password never appears
 * in {@link #toString()}.
 */
public record RedisUrl(boolean tls, String host, int port, String user, String password, int database) {

    private static final int DEFAULT_PORT = 6379;

    public static RedisUrl parse(String raw) {
        URI uri;
        try {
            uri = new URI(raw.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(
                    "is not a valid URL (expected redis://[:password@]host:6379[/db] or rediss://...); percent-encode"
                            + " special characters in the password");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("redis") || scheme.equals("rediss"))) {
            throw new IllegalArgumentException("must start with redis:// or rediss:// (TLS)");
        }
        String host = DatabaseUrl.unbracket(uri.getHost());
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("has no host (expected redis://host:6379)");
        }
        int port = uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("has an invalid port " + port);
        }
        int database = 0;
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (!path.isEmpty() && !path.equals("/")) {
            try {
                database = Integer.parseInt(path.substring(1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("has an invalid database index (expected /0 to /15)");
            }
            if (database < 0 || database > 15) {
                throw new IllegalArgumentException("has an invalid database index (expected /0 to /15)");
            }
        }
        if (uri.getRawQuery() != null && !uri.getRawQuery().isEmpty()) {
            throw new IllegalArgumentException("must not carry query parameters");
        }
        String user = null;
        String password = null;
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null && !userInfo.isEmpty()) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                password = decode(userInfo);
            } else {
                String name = decode(userInfo.substring(0, colon));
                user = name.isEmpty() ? null : name;
                password = decode(userInfo.substring(colon + 1));
            }
        }
        return new RedisUrl(scheme.equals("rediss"), host, port, user, password, database);
    }

    /** The URL again, in the form the Vert.x Redis client takes (credentials included). */
    public String connectionString() {
        StringBuilder url = new StringBuilder(tls ? "rediss://" : "redis://");
        if (password != null) {
            url.append(user == null ? "" : encode(user))
                    .append(':')
                    .append(encode(password))
                    .append('@');
        }
        String bracketed = host.contains(":") ? "[" + host + "]" : host;
        return url.append(bracketed)
                .append(':')
                .append(port)
                .append('/')
                .append(database)
                .toString();
    }

    @Override
    public String toString() {
        return (tls ? "rediss://" : "redis://") + (password == null ? "" : (user == null ? "" : user) + ":***@") + host
                + ":" + port + "/" + database;
    }

    private static String decode(String value) {
        return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String encode(String value) {
        return java.net.URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
