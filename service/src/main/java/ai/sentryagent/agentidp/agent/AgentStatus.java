package ai.sentryagent.agentidp.agent;

import java.util.Locale;
import java.util.Optional;

/** The life of an agent. Decommissioned is final: the row stays, no token is issued again. */
public enum AgentStatus {
    ACTIVE,
    SUSPENDED,
    DECOMMISSIONED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<AgentStatus> fromWire(String value) {
        for (AgentStatus status : values()) {
            if (status.wireName().equals(value)) {
                return Optional.of(status);
            }
        }
        return Optional.empty();
    }
}
