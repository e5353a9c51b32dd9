package ai.sentryagent.agentidp.infra.aws;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Fn;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Tags;
import software.amazon.awscdk.services.ec2.Peer;
import software.amazon.awscdk.services.ec2.Port;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ecr.Repository;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.constructs.Construct;

/** One AgentIdP environment. The stack only composes constructs and wires them together. */
public final class AgentIdpStack extends Stack {
    private static final Pattern ECR_REPOSITORY =
            Pattern.compile("(\\d{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com/([a-z0-9._/-]+)");

    private final Settings settings;
    private final Network network;
    private final Database database;
    private final Cache cache;
    private final Secrets secrets;
    private final Service service;
    private final Edge edge;

    public AgentIdpStack(
            Construct scope, String id, Settings settings, DeployedImage deployedImage, Path repositoryRoot) {
        super(
                scope,
                id,
                StackProps.builder()
                        .env(Environment.builder()
                                .account(settings.account())
                                .region(settings.region())
                                .build())
                        .description("AgentIdP " + settings.environment()
                                + " (ECS Fargate, RDS PostgreSQL, ElastiCache Redis)")
                        // Production only, and not before the first create has succeeded: a stack that failed
                        // its first create must be deleted before a retry (docs/deployment.md, §2.3).
                        .terminationProtection(settings.environment().equals("production") && settings.retainData())
                        .build());
        this.settings = settings;
        Names names = Names.of(settings.environment());
        Tags.of(this).add("project", Names.PROJECT);
        Tags.of(this).add("environment", settings.environment());
        RetentionDays retention = retention(settings.logRetentionDays());
        Protection protection = new Protection(settings.retainData());

        this.network = new Network(
                this,
                "Network",
                new Network.Props(settings.maxAzs(), settings.natGateways(), retention, settings.ecsExec()));
        this.secrets = new Secrets(
                this,
                "Secrets",
                names,
                settings.jwtPrivateKeySecretArn(),
                settings.jwtPublicKeySecretArn(),
                settings.kafka().map(Settings.Kafka::credentialsSecretArn),
                protection);
        this.database = new Database(
                this,
                "Database",
                new Database.Props(
                        network.vpc(),
                        names,
                        settings.postgresVersion(),
                        settings.dbInstanceClass(),
                        settings.dbAllocatedStorageGiB(),
                        settings.dbBackupRetentionDays(),
                        retention,
                        protection));
        this.cache = new Cache(
                this,
                "Cache",
                new Cache.Props(
                        network.vpc(),
                        names,
                        settings.cacheNodeType(),
                        secrets.redisAuthToken(),
                        retention,
                        protection));
        Optional<String> databaseCa = databaseCaBundle(this, settings, repositoryRoot);
        secrets.composeDatabaseUrl(database, databaseCa.isPresent() ? "verify-full" : "require");
        secrets.composeRedisUrl(cache);

        this.service = new Service(
                this,
                "Service",
                new Service.Props(
                        network.vpc(),
                        names,
                        image(this, settings, deployedImage),
                        settings.cpu(),
                        settings.memoryMiB(),
                        settings.desiredCount(),
                        settings.maxCount(),
                        withDatabase(serviceEnvironment(settings), settings, databaseCa),
                        secrets.forService(settings.database().bootstrap()),
                        migrateEnvironment(databaseCa),
                        secrets.forMigrate(),
                        retention,
                        settings.ecsExec(),
                        protection));
        this.edge = new Edge(
                this,
                "Edge",
                new Edge.Props(
                        network.vpc(),
                        names,
                        settings.domainName(),
                        settings.hostedZoneId(),
                        settings.hostedZoneName(),
                        settings.certificateArn(),
                        settings.waf(),
                        settings.wafTokenRateLimit(),
                        // Deletion protection would make a failed first create's rollback fail: with retainData.
                        settings.environment().equals("production") && settings.retainData(),
                        retention,
                        protection));
        service.attach(edge.targetGroup(), settings.desiredCount(), settings.maxCount());

        database.securityGroup()
                .addIngressRule(service.securityGroup(), Port.tcp(5432), "PostgreSQL from the AgentIdP tasks");
        cache.securityGroup()
                .addIngressRule(service.securityGroup(), Port.tcp(Cache.PORT), "Redis from the AgentIdP tasks");
        // The tasks' only ways out (Fargate pulls images and secrets through the task ENI: ECS developer guide,
        // "Fargate task networking"). ECR serves layers from S3, reached through the gateway endpoint.
        SecurityGroup tasks = service.securityGroup();
        tasks.addEgressRule(database.securityGroup(), Port.tcp(5432), "PostgreSQL");
        tasks.addEgressRule(cache.securityGroup(), Port.tcp(Cache.PORT), "Redis");
        tasks.addEgressRule(
                network.endpointSecurityGroup(), Port.tcp(443), "HTTPS to the ECR, Secrets Manager, Logs endpoints");
        tasks.addEgressRule(Peer.prefixList(settings.s3PrefixListId()), Port.tcp(443), "HTTPS to S3 (ECR layers)");
        MetricsCollector metrics = new MetricsCollector(
                this,
                "Metrics",
                new MetricsCollector.Props(
                        names,
                        settings.account(),
                        settings.region(),
                        service.taskDefinition(),
                        service.logGroup(),
                        retention,
                        protection));
        // The audit stream's brokers are outside the VPC's known peers (MSK in a peered VPC, or a provider over a
        // NAT gateway): their ports only, to any address, since broker addresses change with the cluster.
        settings.kafka()
                .ifPresent(kafka -> kafka.ports()
                        .forEach(port -> tasks.addEgressRule(
                                Peer.anyIpv4(), Port.tcp(port), "Kafka brokers (SASL_SSL) on " + port)));
        new Alarms(
                this,
                "Alarms",
                new Alarms.Props(
                        names,
                        edge,
                        service,
                        database,
                        cache,
                        metrics,
                        settings.alarmEmail(),
                        settings.alarmTopicArn()));

        output("ImageDigest", deployedImage.digest(), "Manifest digest the tasks run (deploy/image.json)");
        output("Image", settings.imageRepository() + "@" + deployedImage.digest(), "Image the tasks run, by digest");
        output("ServiceUrl", "https://" + settings.domainName(), "Public URL of the IdP");
        output("AlbDnsName", edge.loadBalancer().getLoadBalancerDnsName(), "Load balancer DNS name (the alias target)");
        output("EcsServiceName", service.service().getServiceName(), "ECS service");
        output("EcsClusterName", service.cluster().getClusterName(), "ECS cluster");
        output("CloudWatchLogGroup", service.logGroup().getLogGroupName(), "Container logs");
        output("DatabaseSecretArn", database.masterSecret().getSecretArn(), "RDS master credentials");
        output(
                "BootstrapAdminSecretArn",
                secrets.bootstrapAdminSecret().getSecretArn(),
                "Secret of the built-in agentidp-admin client");
        output(
                "MigrateCommand",
                Fn.join(
                        "",
                        List.of(
                                "aws ecs run-task --region ",
                                settings.region(),
                                " --cluster ",
                                service.cluster().getClusterName(),
                                " --task-definition ",
                                service.migrateTaskDefinition().getFamily(),
                                " --launch-type FARGATE --network-configuration 'awsvpcConfiguration={subnets=[",
                                Fn.join(
                                        ",",
                                        network.vpc()
                                                .selectSubnets(Network.privateSubnets())
                                                .getSubnetIds()),
                                "],securityGroups=[",
                                service.securityGroup().getSecurityGroupId(),
                                "],assignPublicIp=DISABLED}'")),
                "Runs the database migrations once");
    }

    /**
     * The zones of {@code agentidp.<env>.availabilityZones} (us-east-1 has a default), so synth needs no lookup and
     * no credentials, and no zone is guessed from the region's name: not every region has a {@code b}.
     */
    @Override
    public List<String> getAvailabilityZones() {
        return settings.availabilityZones();
    }

    private void output(String id, String value, String description) {
        CfnOutput.Builder.create(this, id).value(value).description(description).build();
    }

    /** Plain settings: everything secret travels as an ECS secret instead. */
    static Map<String, String> serviceEnvironment(Settings settings) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("NODE_ENV", "production");
        env.put("PORT", Integer.toString(Service.CONTAINER_PORT));
        env.put("ISSUER_URL", "https://" + settings.domainName());
        env.put("POLICY_DIR", "/app/policies");
        env.put("ENFORCE_TLS", "true");
        // The ALB appends the client's address to X-Forwarded-For: one trusted proxy.
        env.put("TRUSTED_PROXY_COUNT", "1");
        env.put("BOOTSTRAP_ADMIN_CLIENT_ID", "agentidp-admin");
        settings.corsOrigin().ifPresent(origin -> env.put("CORS_ORIGIN", origin));
        new java.util.TreeMap<>(settings.features()).forEach(env::put);
        return env;
    }

    /**
     * The database part of the service's environment (a separate hunk from {@link #serviceEnvironment}): the runtime
     * role cannot change the schema, so the service never migrates; the CA bundle when there is one; the Kafka
     * settings when an audit stream is configured.
     */
    static Map<String, String> withDatabase(
            Map<String, String> environment, Settings settings, Optional<String> databaseCa) {
        Map<String, String> env = new LinkedHashMap<>(environment);
        // Only the bootstrap deploy (the service still connects as the migrator) may migrate at start.
        env.put("DB_MIGRATE_ON_START", Boolean.toString(settings.database().bootstrap()));
        databaseCa.ifPresent(pem -> env.put("DATABASE_CA_CERT", pem));
        settings.kafka().ifPresent(kafka -> {
            env.put("KAFKA_BROKERS", kafka.brokers());
            env.put("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
            env.put("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
        });
        return env;
    }

    /** The migrate task's plain settings: the runtime role it creates and grants, and the CA it verifies. */
    static Map<String, String> migrateEnvironment(Optional<String> databaseCa) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("NODE_ENV", "production");
        env.put("DATABASE_RUNTIME_ROLE", Database.RUNTIME_ROLE);
        databaseCa.ifPresent(pem -> env.put("DATABASE_CA_CERT", pem));
        return env;
    }

    /**
     * The region's RDS CA bundle from {@code agentidp.<env>.databaseCaBundleFile}, read at synth. Without it the
     * service cannot verify the server and synth says so; a file that holds no certificate stops synth.
     */
    static Optional<String> databaseCaBundle(Construct scope, Settings settings, Path repositoryRoot) {
        String key = "agentidp." + settings.environment() + ".databaseCaBundleFile";
        if (settings.database().caBundleFile().isEmpty()) {
            software.amazon.awscdk.Annotations.of(scope)
                    .addWarningV2(
                            "agentidp:databaseCaBundle",
                            key + " is not set: the service encrypts its PostgreSQL connections (sslmode=require) but"
                                    + " does not verify the server. Check in the region's RDS CA bundle and set it"
                                    + " (docs/deployment.md §2.4).");
            return Optional.empty();
        }
        Path file = repositoryRoot.resolve(settings.database().caBundleFile().get());
        try {
            String pem = java.nio.file.Files.readString(file).strip();
            if (!pem.contains("-----BEGIN CERTIFICATE-----") || pem.length() > 32 * 1024) {
                throw new IllegalArgumentException("cdk.json context: " + key + " (" + file + ") must hold PEM"
                        + " certificates, at most 32 KiB (the region's bundle, not the global one)");
            }
            return Optional.of(pem);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cdk.json context: " + key + " cannot be read: " + file, e);
        }
    }

    /** An ECR repository URI's parts. */
    record EcrRepository(String account, String region, String name) {}

    static EcrRepository ecrRepository(String repository) {
        Matcher ecr = ECR_REPOSITORY.matcher(repository);
        if (!ecr.matches()) {
            throw new IllegalArgumentException("'" + repository + "' is not an ECR repository");
        }
        return new EcrRepository(ecr.group(1), ecr.group(2), ecr.group(3));
    }

    /**
     * {@code <repository>@<digest>} from deploy/image.json: every environment runs the one pushed manifest, so
     * promoting staging's image to production changes nothing but the environment. The execution role gets pull
     * rights on exactly that repository.
     */
    static ContainerImage image(Construct scope, Settings settings, DeployedImage image) {
        EcrRepository ecr = ecrRepository(settings.imageRepository());
        String arn = "arn:aws:ecr:" + ecr.region() + ":" + ecr.account() + ":repository/" + ecr.name();
        // A tagOrDigest starting with "sha256:" becomes "<uri>@sha256:…" (IRepository.repositoryUriForTagOrDigest).
        return ContainerImage.fromEcrRepository(
                Repository.fromRepositoryArn(scope, "ImageRepository", arn), image.digest());
    }

    static RetentionDays retention(int days) {
        return RetentionDays.valueOf(
                switch (days) {
                    case 1 -> "ONE_DAY";
                    case 3 -> "THREE_DAYS";
                    case 5 -> "FIVE_DAYS";
                    case 7 -> "ONE_WEEK";
                    case 14 -> "TWO_WEEKS";
                    case 30 -> "ONE_MONTH";
                    case 60 -> "TWO_MONTHS";
                    case 90 -> "THREE_MONTHS";
                    case 120 -> "FOUR_MONTHS";
                    case 150 -> "FIVE_MONTHS";
                    case 180 -> "SIX_MONTHS";
                    case 365 -> "ONE_YEAR";
                    case 400 -> "THIRTEEN_MONTHS";
                    case 545 -> "EIGHTEEN_MONTHS";
                    case 731 -> "TWO_YEARS";
                    case 1096 -> "THREE_YEARS";
                    case 1827 -> "FIVE_YEARS";
                    case 2192 -> "SIX_YEARS";
                    case 2557 -> "SEVEN_YEARS";
                    case 2922 -> "EIGHT_YEARS";
                    case 3288 -> "NINE_YEARS";
                    case 3653 -> "TEN_YEARS";
                    default -> throw new IllegalArgumentException("unsupported log retention " + days);
                });
    }
}
