package ai.sentryagent.agentidp.federation;

import java.net.IDN;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * Which URLs keys may be fetched from: HTTPS, or plain HTTP to a loopback address only when
 * {@code FEDERATION_ALLOW_HTTP_LOOPBACK} is true (a test issuer on the developer's machine). Whether a host is
 * loopback is decided from the URL's text — {@code localhost} or a literal loopback address — never by resolving a
 * name, which an attacker's DNS could answer with anything.
 */
public record FetchRules(boolean allowHttpLoopback) {

    /** Why {@code url} may not be fetched, or empty when it may. */
    public Optional<String> problem(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return Optional.of("is not a valid URL");
        }
        if (!uri.isAbsolute()
                || uri.getHost() == null
                || uri.getRawUserInfo() != null
                || uri.getRawFragment() != null) {
            return Optional.of("must be an absolute URL with a host, without user information or fragment");
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("https")) {
            return Optional.empty();
        }
        if (scheme.equals("http") && allowHttpLoopback && loopback(uri.getHost())) {
            return Optional.empty();
        }
        return Optional.of(
                scheme.equals("http") && loopback(uri.getHost())
                        ? "must use https (plain http to loopback needs FEDERATION_ALLOW_HTTP_LOOPBACK=true)"
                        : "must use https");
    }

    static boolean loopback(String host) {
        String name = IDN.toASCII(host.startsWith("[") ? host.substring(1, host.length() - 1) : host)
                .toLowerCase(Locale.ROOT);
        if (name.equals("localhost")) {
            return true;
        }
        if (!name.matches("[0-9.]+|[0-9a-f.]*:[0-9a-f:.]*")) {
            return false; // a name: never resolved here
        }
        try {
            return InetAddress.getByName(name).isLoopbackAddress(); // a literal: parsed, not looked up
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
