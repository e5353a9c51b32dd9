package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.error.ApiError;
import ai.sentryagent.agentidp.error.ApiFailure;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strictly read JSON object body: the content type must be JSON, unknown fields are rejected, and each field is
 * read with its type checked. Failures are 400s (415 for the content type) that name the field.
 */
public final class JsonBody {
    /** Jackson's defaults are strict (no comments, quotes, NaN or trailing commas); add duplicate keys. */
    private static final JsonFactory STRICT = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'", Pattern.DOTALL);

    private final JsonObject json;

    private JsonBody(JsonObject json) {
        this.json = json;
    }

    /** The body as an object with only the allowed fields; an absent body reads as {@code {}} when allowed. */
    public static JsonBody read(RoutingContext rc, Set<String> allowed, boolean emptyAllowed) {
        // JSON is UTF-8 (RFC 8259 §8.1), whatever charset the Content-Type names.
        String raw = rc.body() == null || rc.body().buffer() == null
                ? null
                : rc.body().buffer().toString(StandardCharsets.UTF_8);
        if (raw == null || raw.isBlank()) {
            if (emptyAllowed) {
                return new JsonBody(new JsonObject());
            }
            throw new ApiError.BadRequest("a JSON body is required").failure();
        }
        String contentType = rc.request().getHeader(HttpHeaders.CONTENT_TYPE);
        String mediaType =
                contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json")) {
            throw new ApiError.UnsupportedMediaType("Content-Type must be application/json").failure();
        }
        String charset = BodyCharset.problem(contentType);
        if (charset != null) {
            throw new ApiError.UnsupportedMediaType(charset).failure();
        }
        Object parsed = parse(raw);
        if (!(parsed instanceof JsonObject object)) {
            throw new ApiError.BadRequest("the body must be a JSON object").failure();
        }
        List<String> unknown = new ArrayList<>();
        for (String field : object.fieldNames()) {
            if (!allowed.contains(field)) {
                unknown.add(field);
            }
        }
        if (!unknown.isEmpty()) {
            unknown.sort(null);
            throw new ApiError.BadRequest(
                            "invalid_request",
                            "unknown field" + (unknown.size() > 1 ? "s: " : ": ") + String.join(", ", unknown),
                            new JsonObject()
                                    .put("unknownFields", new JsonArray(unknown))
                                    .put(
                                            "allowedFields",
                                            new JsonArray(
                                                    allowed.stream().sorted().toList())))
                    .failure();
        }
        return new JsonBody(object);
    }

    /**
     * RFC 8259 JSON and nothing more, through a parser of its own: the Vert.x codec accepts comments and lets a
     * repeated key silently replace the first ({@code "scopes":[],"scopes":["admin"]}), so what a reviewer, a proxy
     * or a log reads first need not be what is applied (F-20). The shared codec is left as it is.
     */
    private static Object parse(String raw) {
        try (JsonParser parser = STRICT.createParser(raw)) {
            return JacksonCodec.fromParser(parser, Object.class);
        } catch (DecodeException | IOException e) {
            for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
                if (t instanceof JsonProcessingException json) {
                    Matcher duplicate = DUPLICATE.matcher(String.valueOf(json.getOriginalMessage()));
                    if (duplicate.lookingAt()) {
                        String field = duplicate.group(1);
                        throw fieldError(
                                field.length() > 64 ? field.substring(0, 64) : field,
                                "appears more than once in the same object");
                    }
                    if (String.valueOf(json.getOriginalMessage()).contains("comment")) {
                        throw new ApiError.BadRequest("the body is not valid JSON: comments are not allowed").failure();
                    }
                }
            }
            throw new ApiError.BadRequest("the body is not valid JSON").failure();
        }
    }

    public boolean has(String field) {
        return json.containsKey(field);
    }

    /** A field's value as parsed (a {@link JsonObject}, {@link JsonArray}, string, number, boolean or null). */
    public Object raw(String field) {
        return json.getValue(field);
    }

    public boolean isNull(String field) {
        return json.containsKey(field) && json.getValue(field) == null;
    }

    public boolean isEmpty() {
        return json.isEmpty();
    }

    /** A string field, trimmed; empty when absent. Fails when present with another type or outside the bounds. */
    public Optional<String> string(String field, int minLength, int maxLength) {
        if (!json.containsKey(field) || json.getValue(field) == null) {
            return Optional.empty();
        }
        if (!(json.getValue(field) instanceof String value)) {
            throw fieldError(field, "must be a string");
        }
        String trimmed = value.strip();
        if (trimmed.length() < minLength) {
            throw fieldError(
                    field, minLength == 1 ? "must not be empty" : "must be at least " + minLength + " characters");
        }
        if (trimmed.length() > maxLength) {
            throw fieldError(field, "must be at most " + maxLength + " characters");
        }
        for (char c : trimmed.toCharArray()) {
            if (Character.isISOControl(c) && c != '\n' && c != '\t') {
                throw fieldError(field, "must not contain control characters");
            }
        }
        return Optional.of(trimmed);
    }

    public String requiredString(String field, int minLength, int maxLength) {
        if (!json.containsKey(field) || json.getValue(field) == null) {
            throw fieldError(field, "is required");
        }
        return string(field, minLength, maxLength).orElseThrow();
    }

    /** An array of strings; empty when absent. */
    public Optional<List<String>> strings(String field, int maxItems) {
        if (!json.containsKey(field) || json.getValue(field) == null) {
            return Optional.empty();
        }
        if (!(json.getValue(field) instanceof JsonArray array)) {
            throw fieldError(field, "must be an array of strings");
        }
        if (array.size() > maxItems) {
            throw fieldError(field, "must have at most " + maxItems + " items");
        }
        List<String> values = new ArrayList<>();
        for (Object item : array) {
            if (!(item instanceof String value)) {
                throw fieldError(field, "must be an array of strings");
            }
            values.add(value);
        }
        return Optional.of(values);
    }

    /** A JSON object field; fails when absent or of another type. */
    public JsonObject requiredObject(String field) {
        if (!json.containsKey(field) || json.getValue(field) == null) {
            throw fieldError(field, "is required");
        }
        if (!(json.getValue(field) instanceof JsonObject object)) {
            throw fieldError(field, "must be a JSON object");
        }
        return object;
    }

    /** A whole number within bounds; empty when absent. */
    public Optional<Long> integer(String field, long min, long max) {
        if (!json.containsKey(field) || json.getValue(field) == null) {
            return Optional.empty();
        }
        Object value = json.getValue(field);
        if (!(value instanceof Integer || value instanceof Long)) {
            throw fieldError(field, "must be a whole number");
        }
        long number = ((Number) value).longValue();
        if (number < min || number > max) {
            throw fieldError(field, "must be between " + min + " and " + max);
        }
        return Optional.of(number);
    }

    public static ApiFailure fieldError(String field, String problem) {
        return new ApiError.BadRequest("invalid_request", field + " " + problem, new JsonObject().put("field", field))
                .failure();
    }
}
