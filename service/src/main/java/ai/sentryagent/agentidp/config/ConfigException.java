package ai.sentryagent.agentidp.config;

import java.util.List;

/**
 * A configuration value that cannot be used. The message always names the variable and never repeats a secret
 * value.
 */
public final class ConfigException extends RuntimeException {
    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public ConfigException(String problem) {
        this(List.of(problem));
    }

    /** Each problem, one per offending variable. */
    public List<String> problems() {
        return problems;
    }
}
