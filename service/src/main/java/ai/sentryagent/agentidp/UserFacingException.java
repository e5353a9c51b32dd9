package ai.sentryagent.agentidp;

/** A failure whose message is already written for the person at the terminal: printed as is, no stack trace. */
public class UserFacingException extends RuntimeException {
    public UserFacingException(String message) {
        super(message, null, false, false);
    }
}
