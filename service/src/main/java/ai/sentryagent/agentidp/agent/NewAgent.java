package ai.sentryagent.agentidp.agent;

import java.util.List;

/** A validated registration request. */
public record NewAgent(
        String name, String description, String owner, String agentType, List<String> scopes, List<String> resources) {
    public NewAgent {
        scopes = List.copyOf(scopes);
        resources = List.copyOf(resources);
    }
}
