package ai.sentryagent.agentidp.agent;

import java.util.List;
import java.util.Optional;

/**
 * A validated partial update. An empty field is left as it is; {@code description} may be cleared with an
 * explicit {@code null}, which {@code clearDescription} records.
 */
public record AgentPatch(
        Optional<String> name,
        Optional<String> description,
        boolean clearDescription,
        Optional<String> owner,
        Optional<String> agentType,
        Optional<List<String>> scopes,
        Optional<List<String>> resources,
        Optional<AgentStatus> status) {}
