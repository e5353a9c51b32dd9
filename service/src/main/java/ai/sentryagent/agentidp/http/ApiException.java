package ai.sentryagent.agentidp.http;

import io.vertx.core.json.JsonObject;

/**
 * A request that ends in a client-visible error with the API's single error shape
 * {@code {"error","message","details"}}. Handlers fail the routing context with it; {@link ErrorHandler} renders
 * it.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String error;
    private final JsonObject details;

    public ApiException(int status, String error, String message, JsonObject details) {
        super(message, null, false, false);
        this.status = status;
        this.error = error;
        this.details = details == null ? new JsonObject() : details;
    }

    public ApiException(int status, String error, String message) {
        this(status, error, message, null);
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "invalid_request", message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "not_found", message);
    }

    public static ApiException unavailable(String message) {
        return new ApiException(503, "service_unavailable", message);
    }

    public int status() {
        return status;
    }

    public String error() {
        return error;
    }

    public JsonObject details() {
        return details;
    }

    public JsonObject toJson() {
        return new JsonObject().put("error", error).put("message", getMessage()).put("details", details);
    }
}
