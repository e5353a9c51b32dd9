package ai.sentryagent.agentidp.config;

/** A secret configuration value. It prints as {@code ***} so it cannot leak through a log line or a toString. */
public record Secret(String value) {
    @Override
    public String toString() {
        return "***";
    }
}
