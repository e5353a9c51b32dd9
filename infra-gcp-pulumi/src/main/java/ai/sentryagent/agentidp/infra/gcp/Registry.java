package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.gcp.artifactregistry.Repository;
import com.pulumi.gcp.artifactregistry.RepositoryArgs;
import com.pulumi.gcp.artifactregistry.inputs.RepositoryDockerConfigArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.List;
import java.util.Map;

/**
 * The Artifact Registry Docker repository the image is pushed to ({@code <region>-docker.pkg.dev/<project>/agentidp}),
 * with immutable tags: production does not depend on a repository someone created by hand. It is created first, on
 * its own ({@code pulumi up --target … --target-dependencies}, docs/deployment.md §3.4), so the image can be pushed
 * before the service exists.
 */
public final class Registry extends ComponentResource {
    static final String REPOSITORY = "agentidp";
    /** The image's name inside the repository: {@code <region>-docker.pkg.dev/<project>/agentidp/agentidp}. */
    static final String IMAGE = "agentidp";

    private final Repository repository;

    public Registry(String name, GcpConfig config, List<Resource> apis) {
        super("agentidp:gcp:Registry", name, ComponentResourceOptions.builder().build());
        this.repository = new Repository(
                name + "-repository",
                RepositoryArgs.builder()
                        .repositoryId(REPOSITORY)
                        .project(config.project())
                        .location(config.region())
                        .format("DOCKER")
                        .description("AgentIdP images")
                        .dockerConfig(RepositoryDockerConfigArgs.builder()
                                .immutableTags(true)
                                .build())
                        .labels(Map.of("project", Names.PROJECT))
                        .build(),
                CustomResourceOptions.builder()
                        .parent(this)
                        .dependsOn(apis)
                        .protect(true)
                        .build());
        registerOutputs(Map.of("repository", repository.name()));
    }
}
