package ai.sentryagent.agentidp.error;

import io.vertx.core.json.JsonObject;

/**
 * Everything a request can end in other than success, one record per kind. Handlers and domain code fail with
 * {@code new ApiError.NotFound("…").failure()}; the HTTP layer's one failure handler renders the record in the
 * endpoint's format (RFC 6749 §5.2 for the OAuth endpoints, {@code {"error","message","details"}} elsewhere).
 * Dependency outages are {@link Unavailable} or {@link Timeout}, classified by exception type where the client
 * library raised them, never by message text.
 */
public sealed interface ApiError {
    /** Seconds a client should wait before retrying after a dependency outage. */
    String RETRY_AFTER_SECONDS = "5";

    /** What a client is told about an outage: nothing about which dependency or why. */
    String DEPENDENCY_UNAVAILABLE = "a dependency is temporarily unavailable; retry later";

    int status();

    /** The machine-readable code ({@code error} in both formats). */
    String code();

    /** The human-readable message, written for the client. */
    String message();

    default JsonObject details() {
        return new JsonObject();
    }

    default ApiFailure failure() {
        return new ApiFailure(this);
    }

    /** 400: the request cannot be read or breaks a rule; {@code code} is {@code invalid_request} unless more precise. */
    record BadRequest(String code, String message, JsonObject details) implements ApiError {
        public BadRequest {
            details = details == null ? new JsonObject() : details;
        }

        public BadRequest(String message) {
            this("invalid_request", message, null);
        }

        @Override
        public int status() {
            return 400;
        }
    }

    record Unauthorized(String message) implements ApiError {
        @Override
        public int status() {
            return 401;
        }

        @Override
        public String code() {
            return "unauthorized";
        }
    }

    record Forbidden(String message) implements ApiError {
        @Override
        public int status() {
            return 403;
        }

        @Override
        public String code() {
            return "forbidden";
        }
    }

    record NotFound(String message) implements ApiError {
        @Override
        public int status() {
            return 404;
        }

        @Override
        public String code() {
            return "not_found";
        }
    }

    record MethodNotAllowed(String message) implements ApiError {
        @Override
        public int status() {
            return 405;
        }

        @Override
        public String code() {
            return "method_not_allowed";
        }
    }

    /** 409: the request contradicts the stored state; {@code code} is {@code conflict} unless more precise. */
    record Conflict(String code, String message, JsonObject details) implements ApiError {
        public Conflict {
            details = details == null ? new JsonObject() : details;
        }

        public Conflict(String message) {
            this("conflict", message, null);
        }

        @Override
        public int status() {
            return 409;
        }
    }

    record PayloadTooLarge(String message) implements ApiError {
        @Override
        public int status() {
            return 413;
        }

        @Override
        public String code() {
            return "payload_too_large";
        }
    }

    record UnsupportedMediaType(String message) implements ApiError {
        @Override
        public int status() {
            return 415;
        }

        @Override
        public String code() {
            return "unsupported_media_type";
        }
    }

    /** Any other client error Vert.x raised (406, 431, …): it stays the client's, with its own status. */
    record ClientError(int status, String message) implements ApiError {
        @Override
        public String code() {
            return "invalid_request";
        }
    }

    /** 501: a request method this service does not implement (the client's doing, not a fault to log). */
    record NotImplemented(String message) implements ApiError {
        @Override
        public int status() {
            return 501;
        }

        @Override
        public String code() {
            return "not_implemented";
        }
    }

    /** 503: a dependency (PostgreSQL, Redis, OPA) refused, closed the connection, or its pool is exhausted. */
    record Unavailable(String message) implements ApiError {
        @Override
        public int status() {
            return 503;
        }

        @Override
        public String code() {
            return "service_unavailable";
        }
    }

    /** 503: a dependency did not answer in time. Same answer as {@link Unavailable}; told apart in the log. */
    record Timeout(String message) implements ApiError {
        @Override
        public int status() {
            return 503;
        }

        @Override
        public String code() {
            return "service_unavailable";
        }
    }

    /** 500: a bug. The message says nothing about the cause; the cause is logged with the request id. */
    record Internal() implements ApiError {
        @Override
        public int status() {
            return 500;
        }

        @Override
        public String code() {
            return "internal_error";
        }

        @Override
        public String message() {
            return "the server could not complete the request";
        }
    }

    /**
     * An RFC 6749 §5.2 error of the OAuth endpoints: its code, an ASCII description, the status that goes with it;
     * {@code basicChallenge} asks for {@code WWW-Authenticate: Basic} (the client tried HTTP Basic, §5.2 401), and a
     * 429 carries how long to wait.
     */
    record OAuth(int status, String code, String message, boolean basicChallenge, long retryAfterSeconds)
            implements ApiError {
        public OAuth {
            message = ascii(message);
        }

        public OAuth(int status, String code, String message) {
            this(status, code, message, false, 0);
        }

        /** RFC 6749 allows %x20-21 / %x23-5B / %x5D-7E in error_description: no quotes, no backslashes. */
        static String ascii(String description) {
            StringBuilder out = new StringBuilder(description.length());
            for (char c : description.toCharArray()) {
                boolean allowed = c >= 0x20 && c <= 0x7E && c != '"' && c != '\\';
                out.append(allowed ? c : '?');
            }
            return out.toString();
        }
    }
}
