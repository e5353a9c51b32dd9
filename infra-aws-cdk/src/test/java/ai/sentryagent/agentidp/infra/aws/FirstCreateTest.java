package ai.sentryagent.agentidp.infra.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.assertions.Template;

/**
 * Production as its first create is deployed ({@code -c retainData=false}): a failed create must roll back
 * completely and be retryable. CloudFormation cannot roll back an RDS instance or an ALB under deletion protection
 * (RDS user guide, "Deletion protection"; ELB "Deletion protection"), and a resource kept on rollback (DeletionPolicy
 * Retain or Snapshot) with a fixed name makes the retry fail with "already exists" (CloudFormation user guide,
 * "DeletionPolicy attribute").
 */
class FirstCreateTest {
    /** Properties that fix a resource's physical name. */
    private static final List<String> NAME_PROPERTIES = List.of(
            "Name",
            "LogGroupName",
            "DBInstanceIdentifier",
            "ReplicationGroupId",
            "ClusterName",
            "ServiceName",
            "TopicName",
            "BucketName");

    private static Template template;
    private static AgentIdpStack stack;

    @BeforeAll
    static void synthesize() {
        App app = CdkContext.app(Map.of("env", "production", "retainData", false));
        stack = AgentIdpApp.build(app, CdkContext.repositoryRoot());
        template = Template.fromStack(stack);
    }

    @Test
    void nothingWithAFixedNameSurvivesARollback() {
        assertThat(keptWithAFixedName(template)).isEmpty();
    }

    static List<String> keptWithAFixedName(Template template) {
        List<String> kept = new ArrayList<>();
        template.toJSON().entrySet().stream()
                .filter(e -> e.getKey().equals("Resources"))
                .flatMap(e -> ((Map<?, ?>) e.getValue()).entrySet().stream())
                .forEach(e -> {
                    Map<?, ?> resource = (Map<?, ?>) e.getValue();
                    Object policy = resource.get("DeletionPolicy");
                    Map<?, ?> properties = (Map<?, ?>) resource.get("Properties");
                    boolean named =
                            properties != null && NAME_PROPERTIES.stream().anyMatch(properties::containsKey);
                    if (named && policy != null && !policy.equals("Delete")) {
                        kept.add(e.getKey() + " (" + resource.get("Type") + ", " + policy + ")");
                    }
                });
        return kept;
    }

    @Test
    void noDeletionProtectionBlocksTheRollback() {
        template.hasResourceProperties("AWS::RDS::DBInstance", Map.of("DeletionProtection", false));
        template.findResources("AWS::ElasticLoadBalancingV2::LoadBalancer")
                .values()
                .forEach(lb -> assertThat(((Map<?, ?>) lb.get("Properties"))
                                .get("LoadBalancerAttributes")
                                .toString())
                        .doesNotContain("deletion_protection.enabled, Value=true"));
        // A stack in ROLLBACK_COMPLETE must be deleted before a retry; termination protection would refuse that.
        assertThat(stack.getTerminationProtection()).isFalse();
    }

    /** The check fails on what CloudFormation would leave behind: the steady-state production template. */
    @Test
    void theSteadyStateKeepsItsData() {
        App app = CdkContext.app(Map.of("env", "production"));
        Template retained = Template.fromStack(AgentIdpApp.build(app, CdkContext.repositoryRoot()));
        assertThat(keptWithAFixedName(retained))
                .anyMatch(kept -> kept.startsWith(Database.LOGICAL_ID))
                .anyMatch(kept -> kept.startsWith(Service.LOG_GROUP_LOGICAL_ID));
        retained.hasResource(
                "AWS::RDS::DBInstance",
                Map.of(
                        "DeletionPolicy",
                        "Snapshot",
                        "Properties",
                        software.amazon.awscdk.assertions.Match.objectLike(Map.of("DeletionProtection", true))));
        retained.hasResource(
                "AWS::SecretsManager::Secret",
                Map.of(
                        "DeletionPolicy",
                        "Retain",
                        "Properties",
                        software.amazon.awscdk.assertions.Match.objectLike(
                                Map.of("Name", "/sentryagent-agentidp/production/credential-hash-key"))));
    }
}
