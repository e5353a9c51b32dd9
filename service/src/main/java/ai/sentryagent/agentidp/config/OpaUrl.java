package ai.sentryagent.agentidp.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the Open Policy Agent's Data API is ({@code OPA_URL}), parsed once. Credentials may ride in it — user and
 * password in the authority, sent as HTTP Basic, or a token in the query — so neither appears in {@link #toString()}
 * nor in a parse error (F-17).
 *
 * @param requestUrl the URL requests go to: without the user and password, with the query
 * @param user the HTTP Basic user, when the URL names one
 * @param password the HTTP Basic password, when the URL names a user
 * @param display the URL for logs: user kept, password and query masked
 */
public record OpaUrl(String requestUrl, Optional<String> user, Optional<Secret> password, String display) {

    public static OpaUrl parse(String raw) {
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            // The exception's message quotes the input: not repeated here.
            throw new IllegalArgumentException("is not a valid URL (the value is not shown: it may hold credentials);"
                    + " expected the policy's Data API, such as http://localhost:8181/v1/data/agentidp/authz,"
                    + " with special characters in credentials percent-encoded");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https"))) {
            throw new IllegalArgumentException("must be an http(s) URL of the policy's Data API, such as"
                    + " http://localhost:8181/v1/data/agentidp/authz");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new IllegalArgumentException("has no host (expected http(s)://host:8181/v1/data/...)");
        }
        if (uri.getRawFragment() != null) {
            throw new IllegalArgumentException("must not have a fragment");
        }
        String hostPort = uri.getRawAuthority().substring(uri.getRawAuthority().lastIndexOf('@') + 1);
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String query = uri.getRawQuery();
        String userInfo = uri.getRawUserInfo();
        Optional<String> user = Optional.empty();
        Optional<Secret> password = Optional.empty();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            user = Optional.of(decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
            password = Optional.of(new Secret(colon < 0 ? "" : decode(userInfo.substring(colon + 1))));
        }
        String base = scheme + "://" + hostPort + path;
        String display = scheme + "://" + user.map(name -> name + ":***@").orElse("") + hostPort + path
                + (query == null ? "" : "?***");
        return new OpaUrl(base + (query == null ? "" : "?" + query), user, password, display);
    }

    /** {@code text} — an HTTP client's error, say, which may quote the request — with the query masked. */
    public String redact(String text) {
        int query = requestUrl.indexOf('?');
        return query < 0 ? text : text.replace(requestUrl.substring(query + 1), "***");
    }

    private static String decode(String value) {
        return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return display;
    }
}
