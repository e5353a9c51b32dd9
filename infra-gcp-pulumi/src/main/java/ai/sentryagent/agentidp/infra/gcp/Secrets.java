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
import java.util.Locale;
import java.util.Map;

/**
 * Secret Manager secrets {@code <prefix>-<name>}, each with its version, and {@code secretAccessor} on exactly
 * these secrets for exactly the identities that read them — nothing project-wide. The service's identity and the
 * migrate job's are different: only the job reads the migrator's credentials, and the job reads nothing else.
 *
 * <p>Every secret is {@code protect}ed: com.pulumi:gcp 7.0.0's {@code secretmanager.Secret} has no deletion
 * protection field, and a deleted secret takes its versions with it (Secret Manager, "Delete a secret": not
 * recoverable).
 */
public final class Secrets extends ComponentResource {
    /** An identity that reads some secrets; {@code suffix} names its grants ({@code ""} keeps the service's). */
    public record Reader(String suffix, Output<String> email) {}

    /** One secret to create: the variable it is read as, its value, and who may read it. */
    public record Spec(String variable, Output<String> value, List<Reader> readers) {}

    /** A secret, by environment variable, and the version this stack wrote. */
    public record Entry(String variable, Secret secret, SecretVersion version) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final List<Resource> grants = new ArrayList<>();
    private final List<Resource> versions = new ArrayList<>();

    public Secrets(String name, GcpConfig config, List<Spec> specs, List<Resource> apis) {
        super("agentidp:gcp:Secrets", name, ComponentResourceOptions.builder().build());
        CustomResourceOptions protectedChild = CustomResourceOptions.builder()
                .parent(this)
                .dependsOn(apis)
                .protect(true)
                .build();
        for (Spec spec : specs) {
            String suffix = spec.variable().toLowerCase(Locale.ROOT).replace('_', '-');
            Secret secret = new Secret(
                    name + "-" + suffix,
                    SecretArgs.builder()
                            .secretId(config.names().secret(suffix))
                            .project(config.project())
                            .replication(SecretReplicationArgs.builder()
                                    .auto(SecretReplicationAutoArgs.builder().build())
                                    .build())
                            .labels(Map.of("project", Names.PROJECT, "stack", config.stack()))
                            .build(),
                    protectedChild);
            SecretVersion version = new SecretVersion(
                    name + "-" + suffix + "-version",
                    SecretVersionArgs.builder()
                            .secret(secret.id())
                            .secretData(spec.value().asSecret())
                            .build(),
                    CustomResourceOptions.builder().parent(this).build());
            for (Reader reader : spec.readers()) {
                grants.add(new SecretIamMember(
                        name + "-" + suffix + reader.suffix() + "-accessor",
                        SecretIamMemberArgs.builder()
                                .project(config.project())
                                .secretId(secret.secretId())
                                .role("roles/secretmanager.secretAccessor")
                                .member(reader.email().applyValue(email -> "serviceAccount:" + email))
                                .build(),
                        CustomResourceOptions.builder().parent(this).build()));
            }
            entries.put(spec.variable(), new Entry(spec.variable(), secret, version));
            versions.add(version);
        }
        Map<String, Output<?>> outputs = new LinkedHashMap<>();
        entries.values()
                .forEach(entry -> outputs.put(entry.variable(), entry.secret().secretId()));
        registerOutputs(outputs);
    }

    public List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    /** The secret read as {@code variable}. */
    public Entry entry(String variable) {
        Entry entry = entries.get(variable);
        if (entry == null) {
            throw new IllegalArgumentException("no secret for " + variable);
        }
        return entry;
    }

    /** Cloud Run must not start a revision before it may read its secrets, nor before they have a version. */
    public List<Resource> grants() {
        List<Resource> all = new ArrayList<>(grants);
        all.addAll(versions);
        return List.copyOf(all);
    }
}
