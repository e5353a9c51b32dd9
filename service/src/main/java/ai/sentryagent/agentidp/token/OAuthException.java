package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.error.ApiError;
import ai.sentryagent.agentidp.error.ApiFailure;

/**
 * The OAuth endpoints' failure: an {@link ApiFailure} whose error is always an {@link ApiError.OAuth}. The factory
 * methods are thin constructors of that record, kept so token code reads in RFC 6749's words.
 */
public final class OAuthException extends ApiFailure {
    public OAuthException(int status, String error, String description, boolean basicChallenge) {
        this(new ApiError.OAuth(status, error, description, basicChallenge, 0));
    }

    private OAuthException(ApiError.OAuth error) {
        super(error);
    }

    /** 429: too many requests; the client should wait {@code retryAfterSeconds}. */
    public static OAuthException rateLimited(String description, long retryAfterSeconds) {
        return new OAuthException(
                new ApiError.OAuth(429, "temporarily_unavailable", description, false, retryAfterSeconds));
    }

    public static OAuthException invalidRequest(String description) {
        return new OAuthException(400, "invalid_request", description, false);
    }

    public static OAuthException invalidClient(String description, boolean basic) {
        return new OAuthException(401, "invalid_client", description, basic);
    }

    public static OAuthException invalidGrant(String description) {
        return new OAuthException(400, "invalid_grant", description, false);
    }

    public static OAuthException invalidScope(String description) {
        return new OAuthException(400, "invalid_scope", description, false);
    }

    /** RFC 8707 §2: a {@code resource} that is invalid, unknown or not the client's. */
    public static OAuthException invalidTarget(String description) {
        return new OAuthException(400, "invalid_target", description, false);
    }

    public static OAuthException unsupportedGrantType(String description) {
        return new OAuthException(400, "unsupported_grant_type", description, false);
    }

    @Override
    public ApiError.OAuth error() {
        return (ApiError.OAuth) super.error();
    }

    public int status() {
        return error().status();
    }

    /** The RFC 6749 §5.2 code. */
    public String errorCode() {
        return error().code();
    }

    public boolean basicChallenge() {
        return error().basicChallenge();
    }

    public long retryAfterSeconds() {
        return error().retryAfterSeconds();
    }
}
