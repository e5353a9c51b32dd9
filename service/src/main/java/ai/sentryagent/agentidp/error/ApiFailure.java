package ai.sentryagent.agentidp.error;

/**
 * Carries an {@link ApiError} through {@code throw}, {@code Future.failedFuture} and {@code rc.fail}. No stack trace:
 * it is an expected answer, not a bug, and its message is already written for the client.
 */
public class ApiFailure extends RuntimeException {
    private final ApiError error;

    public ApiFailure(ApiError error) {
        super(error.message(), null, false, false);
        this.error = error;
    }

    public ApiError error() {
        return error;
    }
}
