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
import com.pulumi.gcp.sql.outputs.DatabaseInstanceServerCaCert;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Cloud SQL PostgreSQL (edition ENTERPRISE): regional (HA), private IP only, TLS without client certificates,
 * automated backups with point-in-time recovery, deletion protection, a maintenance window and query insights; the
 * {@code agentidp} database and its two identities:
 *
 * <ul>
 *   <li>the migrator {@code agentidp}, a Cloud SQL user (so a member of {@code cloudsqlsuperuser}) that owns the
 *       schema; only the migrate job connects as it;
 *   <li>the runtime role {@code agentidp_app}, DML only, which the service connects as. It is not a Cloud SQL user:
 *       every user created through the Cloud SQL API is a {@code cloudsqlsuperuser} with CREATEROLE and CREATEDB
 *       (Cloud SQL for PostgreSQL, "About PostgreSQL users and roles"), which is what a runtime role must not be.
 *       {@code migrate} creates it ({@code DATABASE_RUNTIME_ROLE}, {@code DATABASE_RUNTIME_PASSWORD}) and grants it
 *       exactly USAGE and SELECT/INSERT/UPDATE/DELETE.
 * </ul>
 *
 * <p>Both URLs use {@code sslmode=verify-ca} against the instance's server CA ({@link #caCertificate()}), not
 * {@code verify-full}: a Cloud SQL server certificate names the instance ({@code <project>:<instance>}) in its
 * common name and carries no subject alternative name for the private IP, so host-name verification against
 * {@code 10.x.x.x} always fails (GoogleCloudPlatform/cloud-sql-proxy#194, hexpm/hexpm#1637). The CA is per instance,
 * so verifying it still refuses any other server.
 */
public final class Database extends ComponentResource {
    static final String DATABASE = "agentidp";
    static final String USER = "agentidp";
    /** The runtime role ({@code DATABASE_RUNTIME_ROLE}): created and granted by {@code migrate}. */
    static final String RUNTIME_ROLE = "agentidp_app";

    static final String SSL_MODE = "verify-ca";
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
                                        // Encryption comes from sslmode=verify-ca in DATABASE_URL; ENCRYPTED_ONLY is
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

    /** The migrate job's {@code DATABASE_URL}: the migrator, over the private IP, the server's CA verified. */
    public Output<String> migratorUrl() {
        return url(USER, password);
    }

    /** The service's {@code DATABASE_URL}: the runtime role, DML only. */
    public Output<String> runtimeUrl(Output<String> runtimePassword) {
        return url(RUNTIME_ROLE, runtimePassword);
    }

    private Output<String> url(String user, Output<String> secret) {
        return Output.format(
                        "postgres://%s:%s@%s:5432/%s?sslmode=%s",
                        user, secret, instance.privateIpAddress(), DATABASE, SSL_MODE)
                .asSecret();
    }

    /**
     * {@code DATABASE_CA_CERT}: every server CA of the instance as one PEM bundle (public, not a secret). During a
     * server CA rotation Cloud SQL lists the current and the upcoming CA (Cloud SQL, "Rotate server CA
     * certificates"); trusting both keeps connections up when the server switches.
     */
    public Output<String> caCertificate() {
        return instance.serverCaCerts()
                .applyValue(certs -> certs.stream()
                        .map(DatabaseInstanceServerCaCert::cert)
                        .flatMap(java.util.Optional::stream)
                        .map(String::strip)
                        .collect(java.util.stream.Collectors.joining("\n")));
    }

    /** The monitored resource's {@code database_id}: {@code <project>:<instance>}. */
    public Output<String> monitoringId() {
        return Output.format("%s:%s", instance.project(), instance.name());
    }
}
