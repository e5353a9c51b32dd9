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
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateContainerVolumeMountArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateScalingArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateVolumeArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateVolumeSecretArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateVolumeSecretItemArgs;
import com.pulumi.gcp.cloudrunv2.inputs.ServiceTemplateVpcAccessArgs;
import com.pulumi.gcp.projects.IAMMember;
import com.pulumi.gcp.projects.IAMMemberArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Cloud Run (v2) service — image from config, port 3000, plain settings as environment and secrets as
 * Secret Manager references, the VPC connector for private ranges, at least two instances in production, startup
 * and liveness probes, the dedicated service account, reachable only through the load balancer ({@link FrontDoor}),
 * with Google Managed Prometheus scraping {@code /metrics} from a sidecar — and the {@code migrate} job under its own
 * service account, which reads the migrator's credentials and nothing else.
 *
 * <p>The invoker is {@code allUsers} on purpose: the load balancer forwards unauthenticated requests (Cloud Run
 * checks the invoker on every request, and a public token API cannot present Google credentials), and ingress
 * {@code INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER} makes the {@code *.run.app} URL refuse everything that does not come
 * through the load balancer, so Cloud Armor cannot be bypassed. Where the organization policy
 * {@code iam.allowedPolicyMemberDomains} refuses {@code allUsers}, the project needs an exception
 * (docs/deployment.md, "allUsers and the organization policy").
 */
public final class Service extends ComponentResource {
    static final int PORT = 3000;
    static final String CONTAINER = "agentidp";
    /** The migrator's URL: the job reads it as {@code DATABASE_URL}; the service never reads it. */
    static final String MIGRATOR_URL = "DATABASE_MIGRATOR_URL";
    /** The runtime role's password: only {@code migrate} needs it, to create and grant the role. */
    static final String RUNTIME_PASSWORD = "DATABASE_RUNTIME_PASSWORD";
    /** The RunMonitoring configuration of the Prometheus sidecar, mounted as a file. */
    static final String GMP_CONFIG = "GMP_CONFIG";
    /** Secrets that are not the service's environment. */
    static final Set<String> NOT_SERVICE_ENV = Set.of(MIGRATOR_URL, RUNTIME_PASSWORD, GMP_CONFIG);
    /**
     * Google's Managed Service for Prometheus collector for Cloud Run (Cloud Run, "Write Prometheus metrics by using
     * the Prometheus sidecar"), pinned: it reads {@code /etc/rungmp/config.yaml}.
     */
    static final String GMP_SIDECAR =
            "us-docker.pkg.dev/cloud-ops-agents-artifacts/cloud-run-gmp-sidecar/cloud-run-gmp-sidecar:1.2.0";

    static final String GMP_MOUNT = "/etc/rungmp/";

    /** The sidecar's RunMonitoring: scrape the service's own port (the default is 8080), every 30 s. */
    static final String RUN_MONITORING = """
            apiVersion: monitoring.googleapis.com/v1beta
            kind: RunMonitoring
            metadata:
              name: agentidp
            spec:
              endpoints:
              - port: %d
                path: /metrics
                interval: 30s
            """.formatted(PORT);

    private final com.pulumi.gcp.cloudrunv2.Service service;
    private final Job job;

    public Service(
            String name,
            GcpConfig config,
            Network network,
            RunIdentity identity,
            RunIdentity migrator,
            Secrets secrets,
            Map<String, Output<String>> environment,
            Map<String, Output<String>> migrateEnvironment,
            List<Resource> dependencies) {
        super("agentidp:gcp:Service", name, ComponentResourceOptions.builder().build());
        List<Resource> after = new ArrayList<>(dependencies);
        after.addAll(secrets.grants());

        List<ServiceTemplateContainerEnvArgs> envs = new ArrayList<>();
        environment.forEach((key, value) -> envs.add(
                ServiceTemplateContainerEnvArgs.builder().name(key).value(value).build()));
        for (Secrets.Entry entry : secrets.entries()) {
            if (NOT_SERVICE_ENV.contains(entry.variable())) {
                continue;
            }
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
        Secrets.Entry gmpConfig = secrets.entry(GMP_CONFIG);

        // The sidecar writes metrics as the service's identity: metric writing only, it reads nothing.
        IAMMember metricWriter = new IAMMember(
                name + "-metric-writer",
                IAMMemberArgs.builder()
                        .project(config.project())
                        .role("roles/monitoring.metricWriter")
                        .member(identity.email().applyValue(email -> "serviceAccount:" + email))
                        .build(),
                CustomResourceOptions.builder().parent(this).build());
        after.add(metricWriter);

        this.service = new com.pulumi.gcp.cloudrunv2.Service(
                name + "-run",
                ServiceArgs.builder()
                        .name(config.names().cloudRunService())
                        .project(config.project())
                        .location(config.region())
                        // Only the load balancer (and the VPC) may call it: *.run.app answers 404 to the internet.
                        .ingress("INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER")
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
                                .volumes(List.of(ServiceTemplateVolumeArgs.builder()
                                        .name("gmp-config")
                                        .secret(ServiceTemplateVolumeSecretArgs.builder()
                                                .secret(gmpConfig.secret().secretId())
                                                .items(List.of(ServiceTemplateVolumeSecretItemArgs.builder()
                                                        .version(gmpConfig
                                                                .version()
                                                                .version())
                                                        .path("config.yaml")
                                                        .build()))
                                                .build())
                                        .build()))
                                .containers(List.of(serviceContainer(config, envs), collector()))
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

        List<JobTemplateTemplateContainerEnvArgs> jobEnvs = new ArrayList<>();
        migrateEnvironment.forEach((key, value) -> jobEnvs.add(JobTemplateTemplateContainerEnvArgs.builder()
                .name(key)
                .value(value)
                .build()));
        jobEnvs.add(secretEnv("DATABASE_URL", secrets.entry(MIGRATOR_URL)));
        jobEnvs.add(secretEnv(RUNTIME_PASSWORD, secrets.entry(RUNTIME_PASSWORD)));
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
                                        .serviceAccount(migrator.email())
                                        .maxRetries(1)
                                        .timeout("600s")
                                        .vpcAccess(JobTemplateTemplateVpcAccessArgs.builder()
                                                .connector(network.connectorId())
                                                .egress("PRIVATE_RANGES_ONLY")
                                                .build())
                                        .containers(JobTemplateTemplateContainerArgs.builder()
                                                .image(config.image())
                                                .args(List.of("migrate"))
                                                .envs(jobEnvs)
                                                .build())
                                        .build())
                                .build())
                        .build(),
                CustomResourceOptions.builder().parent(this).dependsOn(after).build());
        registerOutputs(Map.of("uri", service.uri(), "job", job.name()));
    }

    private static ServiceTemplateContainerArgs serviceContainer(
            GcpConfig config, List<ServiceTemplateContainerEnvArgs> envs) {
        return ServiceTemplateContainerArgs.builder()
                .name(CONTAINER)
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
                .build();
    }

    /**
     * The Prometheus collector: starts after the service (a sidecar's dependsOn names the containers it waits for),
     * has no port (only the ingress container may), and Cloud Run's per-container defaults spelled out.
     */
    private static ServiceTemplateContainerArgs collector() {
        return ServiceTemplateContainerArgs.builder()
                .name("collector")
                .image(GMP_SIDECAR)
                .dependsOns(List.of(CONTAINER))
                .resources(ServiceTemplateContainerResourcesArgs.builder()
                        .limits(Map.of("cpu", "1", "memory", "512Mi"))
                        .build())
                .volumeMounts(List.of(ServiceTemplateContainerVolumeMountArgs.builder()
                        .name("gmp-config")
                        .mountPath(GMP_MOUNT)
                        .build()))
                .build();
    }

    private static JobTemplateTemplateContainerEnvArgs secretEnv(String variable, Secrets.Entry entry) {
        return JobTemplateTemplateContainerEnvArgs.builder()
                .name(variable)
                .valueSource(JobTemplateTemplateContainerEnvValueSourceArgs.builder()
                        .secretKeyRef(JobTemplateTemplateContainerEnvValueSourceSecretKeyRefArgs.builder()
                                .secret(entry.secret().secretId())
                                .version(entry.version().version())
                                .build())
                        .build())
                .build();
    }

    public Output<String> uri() {
        return service.uri();
    }

    /** The Cloud Run service's name: the serverless NEG and the alert filters name it. */
    public Output<String> name() {
        return service.name();
    }

    public Output<String> jobName() {
        return job.name();
    }
}
