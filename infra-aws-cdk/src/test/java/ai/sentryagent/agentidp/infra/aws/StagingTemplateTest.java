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
    private static App app;

    @BeforeAll
    static void synthesize() {
        app = CdkContext.app(Map.of("env", "staging", "alarmEmail", "oncall@example.com"));
        template = Template.fromStack(AgentIdpApp.build(app, CdkContext.repositoryRoot()));
    }

    /**
     * The tasks are X86_64 (RuntimePlatform), so the asset must be built for linux/amd64: an image built on an ARM
     * machine fails with "exec format error" (ECS developer guide, "task definition parameters", runtimePlatform).
     */
    @Test
    @SuppressWarnings("unchecked")
    void theImageAssetIsBuiltForLinuxAmd64() throws java.io.IOException {
        java.nio.file.Path manifest =
                java.nio.file.Path.of(app.synth().getDirectory()).resolve("AgentIdp-staging.assets.json");
        Map<String, Object> assets =
                new com.fasterxml.jackson.databind.ObjectMapper().readValue(manifest.toFile(), Map.class);
        Map<String, Object> images = (Map<String, Object>) assets.get("dockerImages");
        assertThat(images).hasSize(1);
        Map<String, Object> source = (Map<String, Object>)
                ((Map<String, Object>) images.values().iterator().next()).get("source");
        assertThat(source).containsEntry("platform", "linux/amd64").containsEntry("dockerFile", "service/Dockerfile");
        assertThat(app.getNode().tryFindChild(Registry.STACK))
                .as("an asset needs no registry stack")
                .isNull();
    }

    /** certificateArn given (the opt-out): the listener uses it and no certificate is requested. */
    @Test
    void anExistingCertificateIsUsedAsIs() {
        template.resourceCountIs("AWS::CertificateManager::Certificate", 0);
        template.hasResourceProperties(
                "AWS::ElasticLoadBalancingV2::Listener",
                Map.of(
                        "Port",
                        443,
                        "Certificates",
                        List.of(
                                Map.of(
                                        "CertificateArn",
                                        "arn:aws:acm:us-east-1:123456789012:certificate/11111111-1111-1111-1111-111111111111"))));
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
