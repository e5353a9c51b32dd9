package ai.sentryagent.agentidp.infra.aws;

import java.util.List;
import software.amazon.awscdk.CfnResource;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Tags;
import software.amazon.awscdk.services.ecr.CfnPullThroughCacheRule;
import software.amazon.awscdk.services.ecr.LifecycleRule;
import software.amazon.awscdk.services.ecr.Repository;
import software.amazon.awscdk.services.ecr.TagMutability;
import software.amazon.awscdk.services.ecr.TagStatus;
import software.constructs.Construct;

/**
 * The image repository as code, in its own stack ({@code AgentIdp-registry}, one per account and region, shared by
 * the environments): it must exist, and hold the pushed image, before an environment's tasks can start, so it is
 * deployed first. Tags are immutable (a tag names one image for good) and every push is scanned.
 */
public final class Registry extends Stack {
    static final String STACK = "AgentIdp-registry";
    static final String LOGICAL_ID = "AgentIdpImageRepository";
    /** Repositories under this prefix are ECR Public images cached in this registry (MetricsCollector's). */
    static final String ECR_PUBLIC_PREFIX = "ecr-public";

    private final Repository repository;

    public Registry(Construct scope, String account, String region, String repositoryName) {
        super(
                scope,
                STACK,
                StackProps.builder()
                        .env(Environment.builder()
                                .account(account)
                                .region(region)
                                .build())
                        .description("AgentIdP image repository " + repositoryName)
                        .terminationProtection(true)
                        .build());
        Tags.of(this).add("project", Names.PROJECT);
        this.repository = Repository.Builder.create(this, "Repository")
                .repositoryName(repositoryName)
                .imageTagMutability(TagMutability.IMMUTABLE)
                .imageScanOnPush(true)
                .lifecycleRules(List.of(LifecycleRule.builder()
                        .description("untagged layers of overwritten builds")
                        .tagStatus(TagStatus.UNTAGGED)
                        .maxImageAge(software.amazon.awscdk.Duration.days(14))
                        .build()))
                // Released images are kept when the stack goes: running tasks and rollbacks still need them.
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        ((CfnResource) repository.getNode().getDefaultChild()).overrideLogicalId(LOGICAL_ID);
        // The tasks reach ECR only through its VPC endpoints, never the internet: images from ECR Public (the
        // metrics collector) are pulled through this cache rule as <registry>/ecr-public/<upstream path> (ECR user
        // guide, "Sync an upstream registry with an Amazon ECR private registry"; ECR Public needs no credentials).
        CfnPullThroughCacheRule.Builder.create(this, "EcrPublicCache")
                .ecrRepositoryPrefix(ECR_PUBLIC_PREFIX)
                .upstreamRegistryUrl("public.ecr.aws")
                .build();
    }

    public Repository repository() {
        return repository;
    }
}
