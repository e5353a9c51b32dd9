package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.core.Output;
import com.pulumi.gcp.sql.DatabaseArgs;
import com.pulumi.gcp.sql.DatabaseInstance;
import com.pulumi.gcp.sql.DatabaseInstanceArgs;
import com.pulumi.gcp.sql.User;
import com.pulumi.gcp.sql.UserArgs;
import com.pulumi.gcp.sql.inputs.DatabaseInstanceSettingsArgs;
import com.pulumi.gcp.sql.inputs.DatabaseInstanceSettingsBackupConfigurationArgs;
import com.pulumi.gcp.sql.inputs.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs;
import com.pulumi.gcp.sql.inputs.DatabaseInstanceSettingsInsightsConfigArgs;
import com.pulumi.gcp.sql.inputs.DatabaseInstanceSettingsIpConfigurationArgs;
import com.pulumi.gcp.sql.inputs.DatabaseInstanceSettingsMaintenanceWindowArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Cloud SQL PostgreSQL (edition ENTERPRISE): regional (HA), private IP only, TLS without client certificates, automated backups with point-in-time
 * recovery, deletion protection, a maintenance window and query insights; the {@code agentidp} database and a user
 * whose password is generated.
 */
public final class Database extends ComponentResource {
    static final String DATABASE = "agentidp";
    static final String USER = "agentidp";
    static final String EDITION = "ENTERPRISE";

    private final DatabaseInstance instance;
    private final Output<String> password;
    private final List<Resource> ready = new ArrayList<>();

    public Database(String name, GcpConfig config, Network network, Output<String> password, List<Resource> apis) {
        super("agentidp:gcp:Database", name, ComponentResourceOptions.builder().build());
        this.password = password;
        List<Resource> after = new ArrayList<>(apis);
        after.add(network.peering());
        this.instance = new DatabaseInstance(
                name + "-instance",
                DatabaseInstanceArgs.builder()
                        .name(config.names().sqlInstance())
                        .project(config.project())
                        .region(config.region())
                        .databaseVersion(config.postgresVersion())
                        .deletionProtection(true)
                        .settings(DatabaseInstanceSettingsArgs.builder()
                                // PostgreSQL 16+ defaults to ENTERPRISE_PLUS, which refuses custom tiers
                                // (sqladmin v1 Settings.edition): always explicit.
                                .edition(EDITION)
                                .tier(config.sqlTier())
                                .availabilityType("REGIONAL")
                                .diskType("PD_SSD")
                                .diskSize(config.sqlDiskSizeGb())
                                .diskAutoresize(true)
                                .deletionProtectionEnabled(true)
                                .ipConfiguration(DatabaseInstanceSettingsIpConfigurationArgs.builder()
                                        .ipv4Enabled(false)
                                        .privateNetwork(network.networkId())
                                        // requireSsl=true means client certificates are required
                                        // (sqladmin v1 IpConfiguration.requireSsl); the service presents none.
                                        // Encryption comes from sslmode=require in DATABASE_URL; ENCRYPTED_ONLY is
                                        // set with gcloud (docs/deployment.md §3.4): com.pulumi:gcp 7.0.0, the newest
                                        // served here, has no sslMode.
                                        .requireSsl(false)
                                        .build())
                                .backupConfiguration(DatabaseInstanceSettingsBackupConfigurationArgs.builder()
                                        .enabled(true)
                                        .pointInTimeRecoveryEnabled(true)
                                        .startTime("03:00")
                                        .transactionLogRetentionDays(7)
                                        .backupRetentionSettings(
                                                DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs
                                                        .builder()
                                                        .retainedBackups(14)
                                                        .build())
                                        .build())
                                .maintenanceWindow(DatabaseInstanceSettingsMaintenanceWindowArgs.builder()
                                        .day(7)
                                        .hour(4)
                                        .updateTrack("stable")
                                        .build())
                                .insightsConfig(DatabaseInstanceSettingsInsightsConfigArgs.builder()
                                        .queryInsightsEnabled(true)
                                        .queryStringLength(1024)
                                        .recordApplicationTags(true)
                                        .recordClientAddress(false)
                                        .build())
                                .userLabels(Map.of("project", Names.PROJECT, "stack", config.stack()))
                                .build())
                        .build(),
                CustomResourceOptions.builder()
                        .parent(this)
                        .dependsOn(after)
                        .protect(true)
                        .build());
        CustomResourceOptions child =
                CustomResourceOptions.builder().parent(this).build();
        ready.add(new com.pulumi.gcp.sql.Database(
                name + "-database",
                DatabaseArgs.builder()
                        .name(DATABASE)
                        .project(config.project())
                        .instance(instance.name())
                        .build(),
                child));
        ready.add(new User(
                name + "-user",
                UserArgs.builder()
                        .name(USER)
                        .project(config.project())
                        .instance(instance.name())
                        .password(password)
                        .build(),
                child));
        registerOutputs(Map.of("connectionName", instance.connectionName()));
    }

    /** The database and its user: what a client waits for before it connects. */
    public List<Resource> ready() {
        return List.copyOf(ready);
    }

    public Output<String> connectionName() {
        return instance.connectionName();
    }

    /** {@code DATABASE_URL} over the private IP, TLS required. */
    public Output<String> url() {
        return Output.format(
                "postgres://%s:%s@%s:5432/%s?sslmode=require", USER, password, instance.privateIpAddress(), DATABASE);
    }
}
