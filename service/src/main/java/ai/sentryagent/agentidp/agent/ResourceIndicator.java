package ai.sentryagent.agentidp.agent;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;

/**
 * The rule for one RFC 8707 resource indicator, shared by registration and the token endpoint: RFC 8707 §2 — "an
 * absolute URI, as specified by Section 4.3 of [RFC3986]" that "MUST NOT include a fragment component". This service
 * also wants a host (a resource is a server a token is sent to; {@code urn:} names have none) and printable ASCII
 * (RFC 3986 §2: a URI is ASCII; an IRI must be sent percent-encoded). Parsing is the JDK's RFC 2396/3986 parser, not
 * ours. Resources are compared as exact strings: RFC 8707 defines no normalisation, and an exact match can never
 * widen a token's audience.
 */
public final class ResourceIndicator {
    /** Bound on one URI; with {@link #MAX_PER_AGENT} it keeps a token with every resource well inside 8 KiB. */
    public static final int MAX_LENGTH = 256;
    /** Bound on an agent's list (migration V9 checks the same). */
    public static final int MAX_PER_AGENT = 10;

    private ResourceIndicator() {}

    /** What is wrong with {@code value} as a resource indicator, in ASCII; empty when it is a good one. */
    public static Optional<String> problem(String value) {
        if (value.isEmpty()) {
            return Optional.of("is empty");
        }
        if (value.length() > MAX_LENGTH) {
            return Optional.of("is longer than " + MAX_LENGTH + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= 0x20 || c >= 0x7F) {
                return Optional.of("must be printable ASCII without spaces (percent-encode anything else)");
            }
        }
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            return Optional.of("is not a URI (RFC 3986)");
        }
        if (uri.getRawFragment() != null || value.indexOf('#') >= 0) {
            return Optional.of("must not have a fragment (RFC 8707 section 2)");
        }
        if (!uri.isAbsolute()) {
            return Optional.of("must be an absolute URI with a scheme (RFC 8707 section 2)");
        }
        if (uri.isOpaque() || uri.getHost() == null || uri.getHost().isEmpty()) {
            return Optional.of("must name a host, like https://api.example.com/");
        }
        return Optional.empty();
    }
}
