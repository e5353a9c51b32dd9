package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.policy.PolicyLoader;
import ai.sentryagent.agentidp.testing.RunningIdp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The endpoint table against the policy the service ships: each management row needs a rule and each rule a row, or
 * startup fails (F-01: default deny only protects what the policy can name; a rule for a misspelt path reads as
 * granted while the real endpoint is denied).
 */
class EndpointTableTest {
    private static final Scopes SCOPES = new Scopes(Set.of("weather:read", "weather:write", "reports:read"));

    @TempDir
    Path dir;

    private String shipped() throws Exception {
        return Files.readString(RunningIdp.policyDirectory().resolve("agentidp.policy"));
    }

    @Test
    void theShippedPolicyCoversTheTableExactly() {
        assertThat(PolicyLoader.load(RunningIdp.policyDirectory(), Routes.MANAGEMENT_ENDPOINTS, SCOPES))
                .isNotNull();
        assertThat(Routes.ENDPOINTS.stream().map(Routes.Endpoint::policyKey).distinct())
                .as("each (method, template) is one row")
                .hasSize(Routes.ENDPOINTS.size());
    }

    @Test
    void aRowWithoutARuleFailsStartup() throws Exception {
        String withoutOne = shipped()
                .lines()
                .filter(line -> !line.startsWith("DELETE  /api/v1/agents/{agentId} "))
                .reduce("", (a, b) -> a + b + "\n");
        Files.writeString(dir.resolve("agentidp.policy"), withoutOne);
        assertThatThrownBy(() -> PolicyLoader.load(dir, Routes.MANAGEMENT_ENDPOINTS, SCOPES))
                .hasMessageContaining("no rule for DELETE /api/v1/agents/{agentId}");
    }

    @Test
    void aRuleWithoutARowFailsStartup() throws Exception {
        Files.writeString(dir.resolve("agentidp.policy"), shipped() + "GET /api/v1/agent/{agentId} agents:read\n");
        assertThatThrownBy(() -> PolicyLoader.load(dir, Routes.MANAGEMENT_ENDPOINTS, SCOPES))
                .hasMessageContaining("agentidp.policy:")
                .hasMessageContaining("GET /api/v1/agent/{agentId} is not an endpoint this service serves");
    }
}
