package ai.sentryagent.agentidp.infra.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Template;

/** Staging: no image given (built from service/Dockerfile as an asset), smaller, no WAF, alarm e-mail on. */
class StagingTemplateTest {
    private static Template template;

    @BeforeAll
    static void synthesize() {
        App app = CdkContext.app(Map.of("env", "staging", "alarmEmail", "oncall@example.com"));
        template = Template.fromStack(AgentIdpApp.build(app, CdkContext.repositoryRoot()));
    }

    @Test
    void imageIsBuiltFromTheServiceDockerfile() {
        Capture containers = new Capture();
        template.hasResourceProperties(
                "AWS::ECS::TaskDefinition",
                Map.of("Family", "sentryagent-agentidp-staging", "ContainerDefinitions", containers));
        String image = ((Map<?, ?>) containers.asArray().get(0)).get("Image").toString();
        assertThat(image).contains("cdk-hnb659fds-container-assets");
    }

    @Test
    void namesFollowTheEnvironment() {
        template.hasResourceProperties("AWS::ECS::Cluster", Map.of("ClusterName", "sentryagent-agentidp-staging"));
        template.hasResourceProperties(
                "AWS::ElastiCache::ReplicationGroup", Map.of("ReplicationGroupId", "sentryagent-agentidp-staging"));
        template.hasResourceProperties(
                "AWS::SecretsManager::Secret", Map.of("Name", "/sentryagent-agentidp/staging/database-url"));
    }

    @Test
    void sizesComeFromContext() {
        template.hasResourceProperties(
                "AWS::ECS::TaskDefinition",
                Map.of("Family", "sentryagent-agentidp-staging", "Cpu", "512", "Memory", "1024"));
        template.hasResourceProperties(
                "AWS::RDS::DBInstance",
                Map.of("DBInstanceClass", "db.t4g.medium", "BackupRetentionPeriod", 7, "MultiAZ", true));
        template.resourceCountIs("AWS::EC2::NatGateway", 1);
        template.resourceCountIs("AWS::WAFv2::WebACL", 0);
    }

    /** aws/aws-cdk issues 18555 and 20744: ECS fetches secrets by complete ARN only, in every environment. */
    @Test
    void everyEcsSecretIsACompleteArn() {
        ProviderRules.assertEveryEcsSecretIsACompleteArn(template);
    }

    @Test
    void alarmEmailSubscribes() {
        template.hasResourceProperties(
                "AWS::SNS::Subscription", Map.of("Protocol", "email", "Endpoint", "oncall@example.com"));
    }

    @Test
    void stagingHasNoTerminationProtection() {
        App app = CdkContext.app(Map.of("env", "staging"));
        assertThat(AgentIdpApp.build(app, CdkContext.repositoryRoot()).getTerminationProtection())
                .isFalse();
        assertThat(List.of(template.findOutputs("*").keySet().toArray())).contains("MigrateCommand");
    }
}
