package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.token.Grant;
import ai.sentryagent.agentidp.token.OAuthException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A strictly parsed {@code application/x-www-form-urlencoded} body. RFC 6749 §3.2: parameters must not repeat,
 * and a parameter without a value counts as omitted — except {@code resource}, which RFC 8707 §2 lets a client send
 * several times to ask for a token for several resources, and {@code audience}, which RFC 8693 §2.1 lets a token
 * exchange repeat for several audiences. No OAuth parameter holds a control character (RFC 6749
 * Appendix A allows only printable characters, %x20-7E, in every parameter this service reads), so a decoded name
 * or value with one (C0, DEL, C1) is refused before it can reach a database parameter, a key or a log line.
 */
public final class FormBody implements Grant.Parameters {
    /** The parameters that may repeat: {@code resource} (RFC 8707 §2) and {@code audience} (RFC 8693 §2.1). */
    static final String RESOURCE = "resource";

    static final String AUDIENCE = "audience";

    private final Map<String, String> values;
    private final Map<String, List<String>> repeatable;

    private FormBody(Map<String, String> values, Map<String, List<String>> repeatable) {
        this.values = values;
        this.repeatable = Map.of(
                RESOURCE, List.copyOf(repeatable.get(RESOURCE)), AUDIENCE, List.copyOf(repeatable.get(AUDIENCE)));
    }

    public static FormBody parse(String body) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, List<String>> repeatable = Map.of(RESOURCE, new ArrayList<>(), AUDIENCE, new ArrayList<>());
        if (body == null || body.isEmpty()) {
            return new FormBody(values, repeatable);
        }
        for (String pair : body.split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (Grant.Parameters.hasControlCharacter(name)) {
                throw OAuthException.invalidRequest("a parameter name contains a control character");
            }
            if (Grant.Parameters.hasControlCharacter(value)) {
                throw OAuthException.invalidRequest("parameter " + printable(name) + " contains a control character");
            }
            if (repeatable.containsKey(name)) {
                if (!value.isEmpty()) {
                    repeatable.get(name).add(value);
                }
                values.putIfAbsent(name, value);
                continue;
            }
            if (values.containsKey(name)) {
                throw OAuthException.invalidRequest("parameter " + printable(name) + " is repeated");
            }
            values.put(name, value);
        }
        return new FormBody(values, repeatable);
    }

    /** The value, empty when absent or empty. */
    @Override
    public Optional<String> get(String name) {
        String value = values.get(name);
        return value == null || value.isEmpty() ? Optional.empty() : Optional.of(value);
    }

    /** Whether the parameter was sent at all, even empty. */
    @Override
    public boolean has(String name) {
        return values.containsKey(name);
    }

    @Override
    public List<String> all(String name) {
        List<String> repeated = repeatable.get(name);
        return repeated != null ? repeated : get(name).map(List::of).orElse(List.of());
    }

    private static String decode(String value) {
        try {
            return URLDecoder.decode(value, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw OAuthException.invalidRequest("the body is not valid application/x-www-form-urlencoded");
        }
    }

    static String printable(String name) {
        String cut = name.length() > 40 ? name.substring(0, 40) : name;
        return cut.replaceAll("[^A-Za-z0-9_.-]", "?");
    }
}
