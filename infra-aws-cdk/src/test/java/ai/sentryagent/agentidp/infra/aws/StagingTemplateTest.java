package ai.sentryagent.agentidp.infra.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.assertions.Template;

/** Staging: production's image digest, smaller, no WAF, alarm e-mail on. */
class StagingTemplateTest {
    private static Template template;
    private static App app;

    @BeforeAll
    static void synthesize() {
        app = CdkContext.app(Map.of("env", "staging", "alarmEmail", "oncall@example.com"));
        template = Template.fromStack(AgentIdpApp.build(app, CdkContext.repositoryRoot()));
    }

    /**
     * Staging runs the digest production runs (deploy/image.json), from the same ECR repository, so promoting is
     * changing nothing but the environment; no CDK asset, which would be a second, different build (issue 14). A
     * digest reference is content-addressed (OCI distribution spec, "Pulling manifests"): no push can move it.
     */
    @Test
    void stagingRunsTheRecordedDigestNotAnAsset() throws java.io.IOException {
        String digest = DeployedImage.read(CdkContext.repositoryRoot()).digest();
        ProviderRules.assertEveryTaskRunsTheDigest(template, digest);
        assertThat(template.findOutputs("ImageDigest").get("ImageDigest")).containsEntry("Value", digest);
        java.nio.file.Path assets =
                java.nio.file.Path.of(app.synth().getDirectory()).resolve("AgentIdp-staging.assets.json");
        assertThat(java.nio.file.Files.readString(assets)).doesNotContain("dockerImages\": {\"");
        assertThat(app.getNode().tryFindChild(Registry.STACK))
                .as("the repository is code, deployed first")
                .isNotNull();
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
