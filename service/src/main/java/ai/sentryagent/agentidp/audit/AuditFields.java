package ai.sentryagent.agentidp.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * Makes what callers put into an event storable and safe to show (F-02, CWE-117): control characters and lone
 * surrogates (PostgreSQL text and jsonb refuse {@code U+0000} with 22021/22P05) become visible {@code \}{@code uXXXX}
 * escapes, every string is cut to {@link #MAX_TEXT} characters and the details to {@link #MAX_DETAILS} characters of
 * JSON. Applied once, when an event is made, so what is stored, hashed and read back is the same.
 */
final class AuditFields {
    static final int MAX_TEXT = 256;
    static final int MAX_DETAILS = 4096;
    private static final int MAX_DEPTH = 4;
    private static final String CUT = "...";

    private AuditFields() {}

    /** The text as stored: escaped and bounded; null stays null. */
    static String text(String value) {
        if (value == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(Math.min(value.length(), MAX_TEXT + 8));
        for (int i = 0; i < value.length() && out.length() <= MAX_TEXT; i++) {
            char c = value.charAt(i);
            boolean pair = Character.isHighSurrogate(c)
                    && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1));
            if (pair) {
                out.append(c).append(value.charAt(++i));
            } else if (Character.isISOControl(c) || Character.isSurrogate(c) || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (out.length() <= MAX_TEXT) {
            return out.toString();
        }
        int end = MAX_TEXT - CUT.length();
        if (Character.isLowSurrogate(out.charAt(end))) {
            end--; // never split a surrogate pair
        }
        return out.substring(0, end) + CUT;
    }

    /** The details as stored: keys and strings as {@link #text}, numbers finite, nesting and size bounded. */
    static JsonObject details(JsonObject details) {
        if (details == null) {
            return new JsonObject();
        }
        JsonObject clean = object(details.getMap(), 0);
        int size = clean.encode().length();
        return size <= MAX_DETAILS
                ? clean
                : new JsonObject()
                        .put("omitted", "details of " + size + " characters, over the limit of " + MAX_DETAILS);
    }

    private static JsonObject object(Map<String, Object> map, int depth) {
        JsonObject out = new JsonObject();
        map.forEach((key, value) -> out.put(text(String.valueOf(key)), value(value, depth + 1)));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Object value(Object value, int depth) {
        if (value == null || value instanceof Boolean || value instanceof Integer || value instanceof Long) {
            return value;
        }
        if (value instanceof Number number) {
            double d = number.doubleValue();
            // NaN and infinities have no JSON spelling: jsonb would refuse the whole batch.
            return Double.isFinite(d) ? number : text(number.toString());
        }
        if (depth > MAX_DEPTH) {
            return "(nested too deep)";
        }
        if (value instanceof JsonObject object) {
            return object(object.getMap(), depth);
        }
        if (value instanceof Map<?, ?> map) {
            return object((Map<String, Object>) map, depth);
        }
        if (value instanceof JsonArray array) {
            return array(array.getList(), depth);
        }
        if (value instanceof List<?> list) {
            return array(list, depth);
        }
        return text(value.toString());
    }

    private static JsonArray array(List<?> list, int depth) {
        JsonArray out = new JsonArray();
        list.forEach(item -> out.add(value(item, depth + 1)));
        return out;
    }
}
