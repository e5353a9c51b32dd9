package ai.sentryagent.agentidp.infra.aws;

import java.util.List;
import java.util.Map;
import software.amazon.awscdk.CfnResource;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ec2.InstanceType;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.rds.CaCertificate;
import software.amazon.awscdk.services.rds.Credentials;
import software.amazon.awscdk.services.rds.CredentialsFromUsernameOptions;
import software.amazon.awscdk.services.rds.DatabaseInstance;
import software.amazon.awscdk.services.rds.DatabaseInstanceEngine;
import software.amazon.awscdk.services.rds.IInstanceEngine;
import software.amazon.awscdk.services.rds.ParameterGroup;
import software.amazon.awscdk.services.rds.PostgresEngineVersion;
import software.amazon.awscdk.services.rds.PostgresInstanceEngineProps;
import software.amazon.awscdk.services.rds.StorageType;
import software.amazon.awscdk.services.secretsmanager.ISecret;
import software.constructs.Construct;

/**
 * RDS PostgreSQL: Multi-AZ, encrypted, in the isolated subnets, TLS forced, backups with point-in-time recovery,
 * deletion protection, snapshot on removal. Master credentials are generated into Secrets Manager; the master user
 * owns the schema and only the migrate task uses it. The service connects as {@link #RUNTIME_ROLE}. The server
 * certificate is issued by {@code rds-ca-rsa2048-g1} and names the instance endpoint, so {@code verify-full} works
 * against the region's RDS CA bundle (RDS user guide, "Using SSL/TLS to encrypt a connection to a DB instance").
 */
public final class Database extends Construct {
    /** Characters that would need escaping inside a URL are never generated. */
    static final String URL_UNSAFE_CHARACTERS = " %+~`#$&*()|[]{}:;<>?!'/@\"\\=,^";

    static final String DATABASE_NAME = "agentidp";
    static final String MASTER_USER = "agentidp";
    /**
     * The runtime role the service connects as ({@code DATABASE_RUNTIME_ROLE}): {@code migrate}, connected as the
     * master user who owns the schema, creates it with the generated password and grants it DML only.
     */
    static final String RUNTIME_ROLE = "agentidp_app";

    static final String LOGICAL_ID = "AgentIdpDatabase";

    /** What the database needs to know. */
    public record Props(
            IVpc vpc,
            Names names,
            String postgresMajorVersion,
            String instanceClass,
            int allocatedStorageGiB,
            int backupRetentionDays,
            RetentionDays logRetention,
            Protection protection) {}

    private final DatabaseInstance instance;
    private final SecurityGroup securityGroup;

    public Database(Construct scope, String id, Props props) {
        super(scope, id);
        IInstanceEngine engine = DatabaseInstanceEngine.postgres(PostgresInstanceEngineProps.builder()
                .version(PostgresEngineVersion.of(props.postgresMajorVersion(), props.postgresMajorVersion()))
                .build());
        ParameterGroup parameters = ParameterGroup.Builder.create(this, "Parameters")
                .engine(engine)
                .description("AgentIdP: TLS only, slow statements logged")
                .parameters(Map.of(
                        "rds.force_ssl", "1",
                        "log_min_duration_statement", "500",
                        "log_connections", "1"))
                .build();
        this.securityGroup = SecurityGroup.Builder.create(this, "SecurityGroup")
                .vpc(props.vpc())
                .description("AgentIdP PostgreSQL: reachable only from the service")
                .allowAllOutbound(false)
                .build();
        this.instance = DatabaseInstance.Builder.create(this, "Instance")
                .instanceIdentifier(props.names().dbInstance())
                .engine(engine)
                .instanceType(new InstanceType(props.instanceClass()))
                .vpc(props.vpc())
                .vpcSubnets(Network.dataSubnets())
                .securityGroups(List.of(securityGroup))
                .publiclyAccessible(false)
                .multiAz(true)
                .storageEncrypted(true)
                .storageType(StorageType.GP3)
                .allocatedStorage(props.allocatedStorageGiB())
                .maxAllocatedStorage(props.allocatedStorageGiB() * 4)
                .databaseName(DATABASE_NAME)
                .credentials(Credentials.fromGeneratedSecret(
                        MASTER_USER,
                        CredentialsFromUsernameOptions.builder()
                                .secretName(props.names().secret("db-master"))
                                .excludeCharacters(URL_UNSAFE_CHARACTERS)
                                .build()))
                .parameterGroup(parameters)
                .backupRetention(Duration.days(props.backupRetentionDays()))
                .preferredBackupWindow("03:00-04:00")
                .preferredMaintenanceWindow("sun:04:30-sun:05:30")
                .deleteAutomatedBackups(false)
                .deletionProtection(props.protection().deletionProtection())
                .removalPolicy(props.protection().snapshotOrDestroy())
                .enablePerformanceInsights(true)
                // Control Tower CT.RDS.PR.2 (enhanced monitoring) and CT.RDS.PR.7 (IAM database authentication;
                // the service keeps its password, IAM auth is there for operators).
                .monitoringInterval(Duration.seconds(60))
                .iamAuthentication(true)
                .cloudwatchLogsExports(List.of("postgresql", "upgrade"))
                .autoMinorVersionUpgrade(true)
                .caCertificate(CaCertificate.RDS_CA_RSA2048_G1)
                .copyTagsToSnapshot(true)
                .build();
        ((CfnResource) instance.getNode().getDefaultChild()).overrideLogicalId(LOGICAL_ID);
        // The export log groups exist before the instance, with our retention (no log-retention Lambda needed).
        for (String export : List.of("postgresql", "upgrade")) {
            LogGroup group = LogGroup.Builder.create(this, "Logs-" + export)
                    .logGroupName("/aws/rds/instance/" + props.names().dbInstance() + "/" + export)
                    .retention(props.logRetention())
                    .removalPolicy(props.protection().retainOrDestroy())
                    .build();
            instance.getNode().addDependency(group);
        }
        // The generated master secret has a fixed name too.
        instance.getSecret().applyRemovalPolicy(props.protection().retainOrDestroy());
        if (!props.protection().deletionProtection()) {
            Nag.acknowledge(
                    instance,
                    "AwsSolutions-RDS10",
                    "retainData is off (a first create, or a disposable environment): deletion protection would make"
                            + " CloudFormation's rollback of a failed create fail. Turned on with retainData"
                            + " (docs/deployment.md, first deploy).");
        }
        Nag.acknowledge(
                instance,
                "AwsSolutions-IAM4",
                "Enhanced monitoring's role uses the AWS managed AmazonRDSEnhancedMonitoringRole policy, the one RDS"
                        + " documents for it.",
                List.of("Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"));
        Nag.acknowledge(
                instance,
                "AwsSolutions-RDS11",
                "Default port 5432: the instance is in isolated subnets and its security group admits only the"
                        + " service's tasks; a non-standard port adds no protection.");
        Nag.acknowledge(
                instance.getNode().findChild("Secret"),
                "AwsSolutions-SMG4",
                "The database-url secret is composed from this password at deploy time; automatic rotation would"
                        + " leave it stale. Rotation is a documented procedure (docs/deployment.md).");
    }

    public DatabaseInstance instance() {
        return instance;
    }

    public SecurityGroup securityGroup() {
        return securityGroup;
    }

    public ISecret masterSecret() {
        return instance.getSecret();
    }
}
