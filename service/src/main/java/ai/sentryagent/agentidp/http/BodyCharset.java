package ai.sentryagent.agentidp.http;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code charset} parameter of a JSON or form body's {@code Content-Type}. Both are read as UTF-8 only (RFC 8259
 * §8.1; RFC 6749 Appendix B), so a body declared in another charset would be read as something its sender did not
 * write: {@code utf-8} (any case, optionally quoted) or no charset at all, else 415. {@link MessageFraming} has
 * already checked the header is one well-formed media type, so parameters can be picked out one by one.
 */
final class BodyCharset {
    private static final Pattern PARAMETER = Pattern.compile(
            ";[ \\t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)=(\"(?:[^\"\\\\]|\\\\.)*\"|[^;\\s]*)", Pattern.DOTALL);

    private BodyCharset() {}

    /** Why the charset is refused, or {@code null} when the body may be read as UTF-8. */
    static String problem(String contentType) {
        if (contentType == null) {
            return null;
        }
        Matcher parameter = PARAMETER.matcher(contentType);
        int charsets = 0;
        while (parameter.find()) {
            if (!parameter.group(1).equalsIgnoreCase("charset")) {
                continue;
            }
            if (++charsets > 1) {
                return "the Content-Type names more than one charset";
            }
            String value = parameter.group(2);
            if (value.length() >= 2 && value.startsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            if (!value.toLowerCase(Locale.ROOT).equals("utf-8")) {
                return "the only charset accepted is utf-8";
            }
        }
        return null;
    }
}
