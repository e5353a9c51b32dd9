package ai.sentryagent.agentidp.agent;

import java.util.Optional;

/** Filters and paging of the agent listing. {@code page} starts at 1. */
public record AgentQuery(
        Optional<AgentStatus> status, Optional<String> owner, Optional<String> agentType, int page, int limit) {}
