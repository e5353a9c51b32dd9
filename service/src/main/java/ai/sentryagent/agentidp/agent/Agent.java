package ai.sentryagent.agentidp.agent;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A registered agent. {@code clientId} is what it authenticates as: its agent id, or a built-in client's name.
 * {@code resources} are the RFC 8707 resource indicators its tokens may be bound to ({@link ResourceIndicator}).
 */
public record Agent(
        UUID agentId,
        String clientId,
        String name,
        String description,
        String owner,
        String agentType,
        List<String> scopes,
        List<String> resources,
        AgentStatus status,
        Instant createdAt,
        Instant updatedAt) {

    public Agent {
        scopes = List.copyOf(scopes);
        resources = List.copyOf(resources);
    }

    public JsonObject toJson() {
        return new JsonObject()
                .put("agentId", agentId.toString())
                .put("clientId", clientId)
                .put("name", name)
                .put("description", description)
                .put("owner", owner)
                .put("agentType", agentType)
                .put("scopes", new JsonArray(scopes))
                .put("resources", new JsonArray(resources))
                .put("status", status.wireName())
                .put("createdAt", createdAt.toString())
                .put("updatedAt", updatedAt.toString());
    }
}
