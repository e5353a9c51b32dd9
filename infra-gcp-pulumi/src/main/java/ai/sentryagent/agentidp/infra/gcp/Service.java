package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.core.Output;
import com.pulumi.gcp.cloudrunv2.Job;
import com.pulumi.gcp.cloudrunv2.JobArgs;
import com.pulumi.gcp.cloudrunv2.ServiceArgs;
import com.pulumi.gcp.cloudrunv2.ServiceIamMember;
import com.pulumi.gcp.cloudrunv2.ServiceIamMemberArgs;
import com.pulumi.gcp.cloudrunv2.inputs.JobTemplateArgs;
import com.pulumi.gcp.cloudrunv2.inputs.JobTemplateTemplateArgs;
import com.pulumi.gcp.cloudrunv2.inputs.JobTemplateTemplateContainerArgs;
import com.pulumi.gcp.cloudrunv2.inputs.JobTemplateTemplateContainerEnvArgs;
import com.pulumi.gcp.cloudrunv2.inputs.JobTemplateTemplateContainerEnvValueSourceArgs;
import com.pulumi.gcp.cloudrunv2.inputs.JobTemplateTemplateContainerEnvValueSourceSecretKeyRefArgs;
import com.pulumi.gcp.cloudrunv2.inputs.JobTemplateTemplateVpcAccessArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateContainerArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateContainerEnvArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateContainerEnvValueSourceArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateContainerEnvValueSourceSecretKeyRefArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateContainerLivenessProbeArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateContainerLivenessProbeHttpGetArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateContainerPortArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateContainerResourcesArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateContainerStartupProbeArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateContainerStartupProbeHttpGetArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateScalingArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateVpcAccessArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Cloud Run (v2) service — image from config, port 3000, plain settings as environment and secrets as
 * Secret Manager references, the VPC connector for private ranges, at least one instance, startup and liveness
 * probes on {@code /health}, the dedicated service account — and the {@code migrate} job with the same identity,
 * connector and database secret.
 *
 * <p>The service is invokable by {@code allUsers} on purpose: it is a public token API whose endpoints do their
 * own client authentication, like the AWS load balancer that is open to the internet.
 */
public final class Service extends ComponentResource {
    static final int PORT = 3000;

    private final com.pulumi.gcp.cloudrunv2.Service service;
    private final Job job;

    public Service(
            String name,
            GcpConfig config,
            Network network,
            RunIdentity identity,
            Secrets secrets,
            Map<String, Output<String>> environment,
            List<Resource> dependencies) {
        super("agentidp:gcp:Service", name, ComponentResourceOptions.builder().build());
        List<Resource> after = new ArrayList<>(dependencies);
        after.addAll(secrets.grants());

        List<ServiceTemplateContainerEnvArgs> envs = new ArrayList<>();
        environment.forEach((key, value) -> envs.add(
                ServiceTemplateContainerEnvArgs.builder().name(key).value(value).build()));
        for (Secrets.Entry entry : secrets.entries()) {
            envs.add(ServiceTemplateContainerEnvArgs.builder()
                    .name(entry.variable())
                    .valueSource(ServiceTemplateContainerEnvValueSourceArgs.builder()
                            .secretKeyRef(ServiceTemplateContainerEnvValueSourceSecretKeyRefArgs.builder()
                                    .secret(entry.secret().secretId())
                                    // The version this stack wrote, not "latest": a new value is a new version
                                    // and so a new revision, and the first revision cannot start before it exists.
                                    .version(entry.version().version())
                                    .build())
                            .build())
                    .build());
        }

        this.service = new com.pulumi.gcp.cloudrunv2.Service(
                name + "-run",
                ServiceArgs.builder()
                        .name(config.names().cloudRunService())
                        .project(config.project())
                        .location(config.region())
                        .ingress("INGRESS_TRAFFIC_ALL")
                        .labels(Map.of("project", Names.PROJECT, "stack", config.stack()))
                        .template(ServiceTemplateArgs.builder()
                                .serviceAccount(identity.email())
                                .maxInstanceRequestConcurrency(config.concurrency())
                                .timeout("60s")
                                .scaling(ServiceTemplateScalingArgs.builder()
                                        .minInstanceCount(config.minInstances())
                                        .maxInstanceCount(config.maxInstances())
                                        .build())
                                .vpcAccess(ServiceTemplateVpcAccessArgs.builder()
                                        .connector(network.connectorId())
                                        .egress("PRIVATE_RANGES_ONLY")
                                        .build())
                                .containers(ServiceTemplateContainerArgs.builder()
                                        .image(config.image())
                                        .args(List.of("serve"))
                                        .ports(List.of(ServiceTemplateContainerPortArgs.builder()
                                                .name("http1")
                                                .containerPort(PORT)
                                                .build()))
                                        .resources(ServiceTemplateContainerResourcesArgs.builder()
                                                .limits(Map.of("cpu", config.runCpu(), "memory", config.runMemory()))
                                                .cpuIdle(false)
                                                .startupCpuBoost(true)
                                                .build())
                                        .envs(envs)
                                        .startupProbe(ServiceTemplateContainerStartupProbeArgs.builder()
                                                .httpGet(ServiceTemplateContainerStartupProbeHttpGetArgs.builder()
                                                        .path("/health")
                                                        .port(PORT)
                                                        .build())
                                                .periodSeconds(5)
                                                .timeoutSeconds(3)
                                                .failureThreshold(24)
                                                .build())
                                        .livenessProbe(ServiceTemplateContainerLivenessProbeArgs.builder()
                                                .httpGet(ServiceTemplateContainerLivenessProbeHttpGetArgs.builder()
                                                        .path("/health")
                                                        .port(PORT)
                                                        .build())
                                                .periodSeconds(15)
                                                .timeoutSeconds(3)
                                                .failureThreshold(3)
                                                .build())
                                        .build())
                                .build())
                        .build(),
                CustomResourceOptions.builder().parent(this).dependsOn(after).build());

        new ServiceIamMember(
                name + "-public-invoker",
                ServiceIamMemberArgs.builder()
                        .project(config.project())
                        .location(config.region())
                        .name(service.name())
                        .role("roles/run.invoker")
                        .member("allUsers")
                        .build(),
                CustomResourceOptions.builder().parent(this).build());

        Secrets.Entry database = secrets.entries().stream()
                .filter(entry -> entry.variable().equals("DATABASE_URL"))
                .findFirst()
                .orElseThrow();
        this.job = new Job(
                name + "-migrate",
                JobArgs.builder()
                        .name(config.names().migrateJob())
                        .project(config.project())
                        .location(config.region())
                        .labels(Map.of("project", Names.PROJECT, "stack", config.stack()))
                        .template(JobTemplateArgs.builder()
                                .taskCount(1)
                                .parallelism(1)
                                .template(JobTemplateTemplateArgs.builder()
                                        .serviceAccount(identity.email())
                                        .maxRetries(1)
                                        .timeout("600s")
                                        .vpcAccess(JobTemplateTemplateVpcAccessArgs.builder()
                                                .connector(network.connectorId())
                                                .egress("PRIVATE_RANGES_ONLY")
                                                .build())
                                        .containers(JobTemplateTemplateContainerArgs.builder()
                                                .image(config.image())
                                                .args(List.of("migrate"))
                                                .envs(List.of(
                                                        JobTemplateTemplateContainerEnvArgs.builder()
                                                                .name("NODE_ENV")
                                                                .value("production")
                                                                .build(),
                                                        JobTemplateTemplateContainerEnvArgs.builder()
                                                                .name("DATABASE_URL")
                                                                .valueSource(
                                                                        JobTemplateTemplateContainerEnvValueSourceArgs
                                                                                .builder()
                                                                                .secretKeyRef(
                                                                                        JobTemplateTemplateContainerEnvValueSourceSecretKeyRefArgs
                                                                                                .builder()
                                                                                                .secret(
                                                                                                        database.secret()
                                                                                                                .secretId())
                                                                                                .version(
                                                                                                        database.version()
                                                                                                                .version())
                                                                                                .build())
                                                                                .build())
                                                                .build()))
                                                .build())
                                        .build())
                                .build())
                        .build(),
                CustomResourceOptions.builder().parent(this).dependsOn(after).build());
        registerOutputs(Map.of("uri", service.uri(), "job", job.name()));
    }

    public Output<String> uri() {
        return service.uri();
    }

    public Output<String> jobName() {
        return job.name();
    }
}
