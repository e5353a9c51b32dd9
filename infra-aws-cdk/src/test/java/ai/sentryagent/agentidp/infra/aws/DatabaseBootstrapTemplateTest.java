package ai.sentryagent.agentidp.infra.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Template;

/**
 * {@code -c databaseBootstrap=true}, the one deploy before {@code migrate} has created the runtime role
 * (docs/deployment.md §2.4): the tasks must be able to start, so they connect as the migrator and migrate at start.
 * Without the switch (ProductionTemplateTest) they connect as the runtime role and never migrate: a role that does
 * not exist yet would fail every task start and the circuit breaker would roll the stack back.
 */
class DatabaseBootstrapTemplateTest {
    private static Template template;

    @BeforeAll
    static void synthesize() {
        App app = CdkContext.app(Map.of("env", "production", "databaseBootstrap", true));
        template = Template.fromStack(AgentIdpApp.build(app, CdkContext.repositoryRoot()));
    }

    @Test
    void theBootstrapDeployServesAsTheMigratorAndMigratesAtStart() {
        Capture containers = new Capture();
        template.hasResourceProperties(
                "AWS::ECS::TaskDefinition",
                Map.of("Family", "sentryagent-agentidp-production", "ContainerDefinitions", containers));
        Map<?, ?> container = (Map<?, ?>) containers.asArray().get(0);
        List<?> secrets = (List<?>) container.get("Secrets");
        Map<?, ?> database = secrets.stream()
                .map(s -> (Map<?, ?>) s)
                .filter(s -> "DATABASE_URL".equals(s.get("Name")))
                .findFirst()
                .orElseThrow();
        assertThat(database.get("ValueFrom").toString()).contains("SecretDatabaseMigratorUrl");
        assertThat(((List<?>) container.get("Environment"))
                        .stream()
                                .map(e -> (Map<?, ?>) e)
                                .filter(e -> "DB_MIGRATE_ON_START".equals(e.get("Name")))
                                .map(e -> String.valueOf(e.get("Value")))
                                .toList())
                .containsExactly("true");
        // The migrate task is the same as ever: it still creates the runtime role for the next deploy.
        Capture migrate = new Capture();
        template.hasResourceProperties(
                "AWS::ECS::TaskDefinition",
                Map.of("Family", "sentryagent-agentidp-production-migrate", "ContainerDefinitions", migrate));
        assertThat(((Map<?, ?>) migrate.asArray().get(0)).get("Environment").toString())
                .contains("DATABASE_RUNTIME_ROLE");
    }
}
