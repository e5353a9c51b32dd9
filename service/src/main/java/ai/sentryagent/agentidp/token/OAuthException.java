package ai.sentryagent.agentidp.token;

/**
 * An RFC 6749 §5.2 error: {@code error} code, ASCII {@code error_description}, and the HTTP status that goes with
 * it. {@code basicChallenge} asks for {@code WWW-Authenticate: Basic} (the client tried HTTP Basic).
 */
public final class OAuthException extends RuntimeException {
    private final int status;
    private final String error;
    private final boolean basicChallenge;
    private final long retryAfterSeconds;

    public OAuthException(int status, String error, String description, boolean basicChallenge) {
        this(status, error, description, basicChallenge, 0);
    }

    private OAuthException(int status, String error, String description, boolean basicChallenge, long retryAfter) {
        super(ascii(description), null, false, false);
        this.status = status;
        this.error = error;
        this.basicChallenge = basicChallenge;
        this.retryAfterSeconds = retryAfter;
    }

    /** 429: too many requests; the client should wait {@code retryAfterSeconds}. */
    public static OAuthException rateLimited(String description, long retryAfterSeconds) {
        return new OAuthException(429, "temporarily_unavailable", description, false, retryAfterSeconds);
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public static OAuthException invalidRequest(String description) {
        return new OAuthException(400, "invalid_request", description, false);
    }

    public static OAuthException invalidClient(String description, boolean basic) {
        return new OAuthException(401, "invalid_client", description, basic);
    }

    public static OAuthException invalidScope(String description) {
        return new OAuthException(400, "invalid_scope", description, false);
    }

    public static OAuthException unsupportedGrantType(String description) {
        return new OAuthException(400, "unsupported_grant_type", description, false);
    }

    public int status() {
        return status;
    }

    public String error() {
        return error;
    }

    public boolean basicChallenge() {
        return basicChallenge;
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
