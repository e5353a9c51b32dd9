package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.core.Output;
import com.pulumi.gcp.secretmanager.Secret;
import com.pulumi.gcp.secretmanager.SecretArgs;
import com.pulumi.gcp.secretmanager.SecretIamMember;
import com.pulumi.gcp.secretmanager.SecretIamMemberArgs;
import com.pulumi.gcp.secretmanager.SecretVersion;
import com.pulumi.gcp.secretmanager.SecretVersionArgs;
import com.pulumi.gcp.secretmanager.inputs.SecretReplicationArgs;
import com.pulumi.gcp.secretmanager.inputs.SecretReplicationAutoArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Secret Manager secrets {@code <prefix>-<name>}, each with its version, and {@code secretAccessor} on exactly these
 * secrets for the Cloud Run service account — nothing project-wide.
 */
public final class Secrets extends ComponentResource {
    /** A secret the service reads, by environment variable, and the version this stack wrote. */
    public record Entry(String variable, Secret secret, SecretVersion version) {}

    private final List<Entry> entries = new ArrayList<>();
    private final List<Resource> grants = new ArrayList<>();
    private final List<Resource> versions = new ArrayList<>();

    public Secrets(
            String name,
            GcpConfig config,
            Map<String, Output<String>> valuesByVariable,
            Output<String> serviceAccountEmail,
            List<Resource> apis) {
        super("agentidp:gcp:Secrets", name, ComponentResourceOptions.builder().build());
        CustomResourceOptions child =
                CustomResourceOptions.builder().parent(this).dependsOn(apis).build();
        for (Map.Entry<String, Output<String>> value : valuesByVariable.entrySet()) {
            String suffix = value.getKey().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
            String secretId = config.names().secret(suffix);
            Secret secret = new Secret(
                    name + "-" + suffix,
                    SecretArgs.builder()
                            .secretId(secretId)
                            .project(config.project())
                            .replication(SecretReplicationArgs.builder()
                                    .auto(SecretReplicationAutoArgs.builder().build())
                                    .build())
                            .labels(Map.of("project", Names.PROJECT, "stack", config.stack()))
                            .build(),
                    child);
            SecretVersion version = new SecretVersion(
                    name + "-" + suffix + "-version",
                    SecretVersionArgs.builder()
                            .secret(secret.id())
                            .secretData(value.getValue().asSecret())
                            .build(),
                    CustomResourceOptions.builder().parent(this).build());
            grants.add(new SecretIamMember(
                    name + "-" + suffix + "-accessor",
                    SecretIamMemberArgs.builder()
                            .project(config.project())
                            .secretId(secret.secretId())
                            .role("roles/secretmanager.secretAccessor")
                            .member(serviceAccountEmail.applyValue(email -> "serviceAccount:" + email))
                            .build(),
                    CustomResourceOptions.builder().parent(this).build()));
            entries.add(new Entry(value.getKey(), secret, version));
            versions.add(version);
        }
        Map<String, Output<?>> outputs = new LinkedHashMap<>();
        entries.forEach(entry -> outputs.put(entry.variable(), entry.secret().secretId()));
        registerOutputs(outputs);
    }

    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** The service must not start before it may read its secrets, nor before they have a version. */
    public List<Resource> grants() {
        List<Resource> all = new ArrayList<>(grants);
        all.addAll(versions);
        return List.copyOf(all);
    }
}
