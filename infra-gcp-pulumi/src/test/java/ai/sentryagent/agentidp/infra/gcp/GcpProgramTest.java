package ai.sentryagent.agentidp.infra.gcp;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.infra.gcp.GcpMocks.Registration;
import com.pulumi.core.Output;
import com.pulumi.test.PulumiTest;
import com.pulumi.test.TestOptions;
import com.pulumi.test.TestResult;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real program under Pulumi's test mocks, no CLI and no credentials. It runs once; the tests read what it
 * registered, what it exported, and the offline plan it leaves in {@code target/plan.json}.
 */
class GcpProgramTest {
    static final String JWT_PRIVATE =
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANtestprivatekeymaterial\n-----END PRIVATE KEY-----\n";
    static final String JWT_PUBLIC = "-----BEGIN PUBLIC KEY-----\nMIIBIjANtestpublickey\n-----END PUBLIC KEY-----\n";
    /** One seed per generated secret (stand-ins for `openssl rand -hex 32`). */
    static final Map<String, String> SEEDS = Map.of(
            "databasePasswordSeed", "seed-db-0123456789abcdefghijklmnopqrstuv",
            "credentialHashKeySeed", "seed-chk-0123456789abcdefghijklmnopqrstu",
            "auditChainKeySeed", "seed-ack-0123456789abcdefghijklmnopqrstu",
            "bootstrapAdminSecretSeed", "seed-bas-0123456789abcdefghijklmnopqrst",
            "databaseRuntimePasswordSeed", "seed-drp-0123456789abcdefghijklmnopqrst");

    private static GcpMocks mocks;
    private static Map<String, Object> outputs;
    private static String plan;
    private static PlanWriter.Dependencies dependencies;

    /** The committed Pulumi.production.yaml's own values; only the secrets are test stand-ins. */
    static GcpConfig config(String stack, Map<String, String> overrides) {
        Map<String, String> values = StackFile.production();
        values.putAll(overrides);
        return GcpConfig.parse(
                StackFile.image(),
                stack,
                key -> Optional.ofNullable(values.get(key)),
                new GcpConfig.Secrets(
                        Output.ofSecret(JWT_PRIVATE),
                        Output.ofSecret(JWT_PUBLIC),
                        Output.ofSecret(SEEDS.get("databasePasswordSeed")),
                        Output.ofSecret(SEEDS.get("credentialHashKeySeed")),
                        Output.ofSecret(SEEDS.get("auditChainKeySeed")),
                        Output.ofSecret(SEEDS.get("bootstrapAdminSecretSeed")),
                        Output.ofSecret(SEEDS.get("databaseRuntimePasswordSeed")),
                        Optional.empty()));
    }

    static String derived(String seedKey, String purpose) {
        return GeneratedSecrets.hmac(SEEDS.get(seedKey), purpose);
    }

    @BeforeAll
    static void run() throws Exception {
        mocks = new GcpMocks();
        GcpConfig config = config("production", Map.of());
        dependencies = new PlanWriter.Dependencies();
        TestResult result = PulumiTest.withMocks(mocks)
                .withOptions(TestOptions.builder()
                        .projectName("agentidp")
                        .stackName("production")
                        .resourceTransformations(List.of(dependencies))
                        .build())
                .runTest(ctx -> AgentIdpGcp.define(ctx, config))
                .throwOnError();
        outputs = new HashMap<>();
        result.outputs().forEach((name, output) -> outputs.put(name, PulumiTest.extractValue(output)));
        plan = PlanWriter.render(result.resources(), mocks, dependencies);
        PlanWriter.write(Path.of("target", "plan.json"), plan);
    }

    @AfterAll
    static void cleanup() {
        PulumiTest.cleanup();
    }

    private static Map<String, Object> inputs(String type) {
        return mocks.single(type).inputs();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return (List<Object>) value;
    }

    @Test
    void requiredApisAreEnabledAndStayOnAtDestroy() {
        List<Registration> apis = mocks.ofType("gcp:projects/service:Service");
        assertThat(apis)
                .extracting(r -> r.inputs().get("service"))
                .containsExactlyInAnyOrder(
                        "run.googleapis.com",
                        "sqladmin.googleapis.com",
                        "redis.googleapis.com",
                        "secretmanager.googleapis.com",
                        "vpcaccess.googleapis.com",
                        "servicenetworking.googleapis.com",
                        "compute.googleapis.com",
                        // Service accounts (IAM API), Artifact Registry, and the API every service enablement
                        // goes through (Service Usage needs Cloud Resource Manager to resolve the project).
                        "iam.googleapis.com",
                        "artifactregistry.googleapis.com",
                        "cloudresourcemanager.googleapis.com",
                        // Alert policies, uptime checks and Managed Prometheus writes; log bucket retention; DNS.
                        "monitoring.googleapis.com",
                        "logging.googleapis.com",
                        "dns.googleapis.com");
        assertThat(apis)
                .allSatisfy(r -> assertThat(r.inputs().get("disableOnDestroy")).isEqualTo(false));
    }

    @Test
    void networkHasCustomSubnetsPrivateServicesAccessAndAConnector() {
        assertThat(inputs("gcp:compute/network:Network"))
                .containsEntry("name", "sentryagent-agentidp-production")
                .containsEntry("autoCreateSubnetworks", false);
        Map<String, Registration> subnets = mocks.ofType("gcp:compute/subnetwork:Subnetwork").stream()
                .collect(Collectors.toMap(r -> String.valueOf(r.inputs().get("name")), r -> r));
        assertThat(subnets.get("sentryagent-agentidp-production-subnet").inputs())
                .containsEntry("ipCidrRange", "10.10.0.0/24")
                .containsEntry("region", "us-central1")
                .containsEntry("privateIpGoogleAccess", true);
        // Serverless VPC Access, "Create a connector": a connector's own subnet must be a /28 in its region.
        assertThat(subnets.get("sentryagent-agentidp-production-connector").inputs())
                .containsEntry("ipCidrRange", Network.CONNECTOR_RANGE)
                .containsEntry("region", "us-central1");
        assertThat(Network.CONNECTOR_RANGE).endsWith("/28");
        assertThat(mocks.ofType("gcp:compute/globalAddress:GlobalAddress").stream()
                        .map(Registration::inputs)
                        .filter(address -> "VPC_PEERING".equals(address.get("purpose")))
                        .findFirst()
                        .orElseThrow())
                .containsEntry("addressType", "INTERNAL")
                .containsEntry("address", Network.PSA_ADDRESS)
                .containsEntry("prefixLength", 16.0);
        assertThat(inputs("gcp:servicenetworking/connection:Connection"))
                .containsEntry("service", "servicenetworking.googleapis.com")
                .containsEntry("reservedPeeringRanges", List.of("sentryagent-agentidp-production-psa"));
        // With a subnet, neither network nor ipCidrRange may be set (the API refuses the combination).
        assertThat(inputs("gcp:vpcaccess/connector:Connector"))
                .containsEntry("name", "agentidp-production-vpc")
                .containsEntry("subnet", Map.of("name", "sentryagent-agentidp-production-connector"))
                .doesNotContainKeys("ipCidrRange", "network")
                .containsEntry("machineType", "e2-micro");
    }

    /**
     * Flow logs on every subnet, including the connector's, with values the API accepts (Compute API
     * Subnetwork.logConfig: flowSampling in [0, 1]; aggregationInterval one of INTERVAL_5_SEC, INTERVAL_30_SEC,
     * INTERVAL_1_MIN, INTERVAL_5_MIN, INTERVAL_10_MIN, INTERVAL_15_MIN; metadata INCLUDE_ALL_METADATA,
     * EXCLUDE_ALL_METADATA or CUSTOM_METADATA).
     */
    @Test
    void everySubnetHasFlowLogsTheApiAccepts() {
        List<Registration> subnets = mocks.ofType("gcp:compute/subnetwork:Subnetwork");
        assertThat(subnets).hasSize(2);
        for (Registration subnet : subnets) {
            Map<String, Object> log = map(subnet.inputs().get("logConfig"));
            assertThat(log).as(subnet.name()).isNotNull();
            assertThat((Double) log.get("flowSampling")).isBetween(0.0, 1.0).isPositive();
            assertThat(log.get("aggregationInterval"))
                    .isIn(
                            "INTERVAL_5_SEC",
                            "INTERVAL_30_SEC",
                            "INTERVAL_1_MIN",
                            "INTERVAL_5_MIN",
                            "INTERVAL_10_MIN",
                            "INTERVAL_15_MIN");
            assertThat(log.get("metadata")).isIn("INCLUDE_ALL_METADATA", "EXCLUDE_ALL_METADATA", "CUSTOM_METADATA");
        }
    }

    @Test
    void cloudSqlIsRegionalPrivateSslOnlyBackedUpAndProtected() {
        Map<String, Object> instance = inputs("gcp:sql/databaseInstance:DatabaseInstance");
        assertThat(instance)
                .containsEntry("name", "sentryagent-agentidp-production-pg14")
                .containsEntry("databaseVersion", "POSTGRES_14")
                .containsEntry("deletionProtection", true);
        Map<String, Object> settings = map(instance.get("settings"));
        assertThat(settings)
                .containsEntry("availabilityType", "REGIONAL")
                .containsEntry("tier", "db-custom-2-7680")
                .containsEntry("deletionProtectionEnabled", true)
                // sqladmin v1 Settings.edition: PostgreSQL 16+ defaults to ENTERPRISE_PLUS, which accepts only
                // db-perf-optimized tiers; a custom tier needs ENTERPRISE, said explicitly.
                .containsEntry("edition", "ENTERPRISE");
        assertThat(String.valueOf(settings.get("tier"))).startsWith("db-custom-");
        // sqladmin v1 IpConfiguration.requireSsl: true means "only connections with valid client certificates";
        // the service presents none, so every connection would be refused.
        assertThat(map(settings.get("ipConfiguration")))
                .containsEntry("ipv4Enabled", false)
                .containsEntry("requireSsl", false)
                .containsEntry(
                        "privateNetwork", "projects/my-gcp-project-id/global/networks/sentryagent-agentidp-production");
        assertThat(map(settings.get("backupConfiguration")))
                .containsEntry("enabled", true)
                .containsEntry("pointInTimeRecoveryEnabled", true);
        assertThat(map(settings.get("maintenanceWindow"))).containsEntry("day", 7.0);
        assertThat(map(settings.get("insightsConfig"))).containsEntry("queryInsightsEnabled", true);
        assertThat(inputs("gcp:sql/database:Database")).containsEntry("name", "agentidp");
        // One Cloud SQL user, the migrator: every user created through the Cloud SQL API is a cloudsqlsuperuser
        // with CREATEROLE and CREATEDB (Cloud SQL for PostgreSQL, "About PostgreSQL users and roles"), so the DML-only
        // runtime role is created by migrate instead.
        assertThat(inputs("gcp:sql/user:User"))
                .containsEntry("name", "agentidp")
                .containsEntry("password", derived("databasePasswordSeed", "database-password"));
    }

    @Test
    void memorystoreIsHaWithAuthAndTls() {
        assertThat(inputs("gcp:redis/instance:Instance"))
                .containsEntry("name", "sentryagent-agentidp-production")
                .containsEntry("tier", "STANDARD_HA")
                .containsEntry("redisVersion", "REDIS_7_0")
                .containsEntry("authEnabled", true)
                .containsEntry("transitEncryptionMode", "SERVER_AUTHENTICATION")
                .containsEntry("connectMode", "PRIVATE_SERVICE_ACCESS")
                // Memorystore for Redis, "Data persistence": RDB on the Standard tier; the snapshot period is one
                // of ONE_HOUR, SIX_HOURS, TWELVE_HOURS, TWENTY_FOUR_HOURS.
                .containsEntry(
                        "persistenceConfig", Map.of("persistenceMode", "RDB", "rdbSnapshotPeriod", "TWELVE_HOURS"));
        assertThat(List.of("ONE_HOUR", "SIX_HOURS", "TWELVE_HOURS", "TWENTY_FOUR_HOURS"))
                .contains(
                        String.valueOf(map(inputs("gcp:redis/instance:Instance").get("persistenceConfig"))
                                .get("rdbSnapshotPeriod")));
        assertThat(inputs("gcp:redis/instance:Instance").get("readReplicasMode"))
                .as("RDB persistence is not available with read replicas")
                .isNotEqualTo("READ_REPLICAS_ENABLED");
    }

    /**
     * com.pulumi:gcp 7.0.0 has no deletion protection field on secretmanager.Secret or redis.Instance: Pulumi's
     * protect stands in (a delete or replacement fails until it is lifted), as for Cloud SQL and the registry.
     */
    @Test
    void statefulResourcesAreProtected() {
        List<String> mustBeProtected = new java.util.ArrayList<>();
        mocks.ofType("gcp:secretmanager/secret:Secret").forEach(r -> mustBeProtected.add(r.type() + "::" + r.name()));
        for (String type : List.of(
                "gcp:redis/instance:Instance",
                "gcp:sql/databaseInstance:DatabaseInstance",
                "gcp:artifactregistry/repository:Repository")) {
            Registration r = mocks.single(type);
            mustBeProtected.add(r.type() + "::" + r.name());
        }
        assertThat(mustBeProtected).hasSizeGreaterThan(10);
        assertThat(mustBeProtected)
                .allSatisfy(
                        key -> assertThat(dependencies.isProtected(key)).as(key).isTrue());
        assertThat(dependencies.isProtected(
                        "gcp:cloudrunv2/service:Service::sentryagent-agentidp-production-service-run"))
                .as("the check itself")
                .isFalse();
    }

    @Test
    void secretsHoldComposedAndGeneratedValues() {
        Map<String, String> versions = secretValues();
        String prefix = "sentryagent-agentidp-production-secrets-";
        // The service connects as the DML-only runtime role; only the migrate job gets the migrator's URL. Both
        // verify the server's CA: a Cloud SQL certificate names <project>:<instance>, not the private IP, so
        // verify-full's host-name check would always fail (GoogleCloudPlatform/cloud-sql-proxy#194).
        assertThat(versions.get(prefix + "database-url-version"))
                .isEqualTo("postgres://agentidp_app:"
                        + derived("databaseRuntimePasswordSeed", "database-runtime-password") + "@" + GcpMocks.SQL_IP
                        + ":5432/agentidp?sslmode=verify-ca");
        assertThat(versions.get(prefix + "database-migrator-url-version"))
                .isEqualTo("postgres://agentidp:"
                        + derived("databasePasswordSeed", "database-password") + "@" + GcpMocks.SQL_IP
                        + ":5432/agentidp?sslmode=verify-ca");
        assertThat(versions.get(prefix + "database-runtime-password-version"))
                .isEqualTo(derived("databaseRuntimePasswordSeed", "database-runtime-password"))
                .isNotEqualTo(derived("databasePasswordSeed", "database-password"));
        assertThat(versions.get(prefix + "redis-url-version"))
                .isEqualTo("rediss://:" + GcpMocks.REDIS_AUTH + "@" + GcpMocks.REDIS_HOST + ":6379/0");
        assertThat(versions.get(prefix + "jwt-private-key-version")).isEqualTo(JWT_PRIVATE);
        assertThat(versions.get(prefix + "credential-hash-key-version"))
                .isEqualTo(derived("credentialHashKeySeed", "credential-hash-key"))
                .hasSize(43);
        assertThat(versions.get(prefix + "audit-chain-key-version"))
                .hasSizeGreaterThanOrEqualTo(32) // the service refuses a shorter AUDIT_CHAIN_KEY
                .isNotEqualTo(versions.get(prefix + "credential-hash-key-version"));
        assertThat(versions.get(prefix + "bootstrap-admin-secret-version")).hasSizeGreaterThanOrEqualTo(32);
        assertThat(mocks.ofType("gcp:secretmanager/secret:Secret"))
                .extracting(r -> r.inputs().get("secretId"))
                .containsExactlyInAnyOrder(
                        "sentryagent-agentidp-production-database-url",
                        "sentryagent-agentidp-production-database-migrator-url",
                        "sentryagent-agentidp-production-database-runtime-password",
                        "sentryagent-agentidp-production-redis-url",
                        "sentryagent-agentidp-production-jwt-private-key",
                        "sentryagent-agentidp-production-jwt-public-key",
                        "sentryagent-agentidp-production-credential-hash-key",
                        "sentryagent-agentidp-production-audit-chain-key",
                        "sentryagent-agentidp-production-bootstrap-admin-secret",
                        "sentryagent-agentidp-production-gmp-config");
    }

    private static Map<String, String> secretValues() {
        return mocks.ofType("gcp:secretmanager/secretVersion:SecretVersion").stream()
                .collect(Collectors.toMap(
                        Registration::name, r -> String.valueOf(r.inputs().get("secretData"))));
    }

    /** Secret id → the members that may read it. */
    private static Map<String, List<String>> readers() {
        return mocks.ofType("gcp:secretmanager/secretIamMember:SecretIamMember").stream()
                .peek(grant -> assertThat(grant.inputs()).containsEntry("role", "roles/secretmanager.secretAccessor"))
                .collect(Collectors.groupingBy(
                        g -> g.inputs().get("secretId").toString(),
                        Collectors.mapping(g -> g.inputs().get("member").toString(), Collectors.toList())));
    }

    static final String RUN_SA = "agentidp-production-run@my-gcp-project-id.iam.gserviceaccount.com";
    static final String MIGRATE_SA = "agentidp-production-mig@my-gcp-project-id.iam.gserviceaccount.com";

    @Test
    void eachIdentityMayReadExactlyItsSecretsAndNothingProjectWide() {
        assertThat(mocks.ofType("gcp:serviceaccount/account:Account"))
                .extracting(r -> r.inputs().get("accountId"))
                .containsExactlyInAnyOrder("agentidp-production-run", "agentidp-production-mig");
        Map<String, List<String>> readers = readers();
        String p = "sentryagent-agentidp-production-";
        // The migrate job reads the migrator's credentials and nothing else: above all not the signing key.
        assertThat(readers)
                .containsEntry(p + "database-migrator-url", List.of("serviceAccount:" + MIGRATE_SA))
                .containsEntry(p + "database-runtime-password", List.of("serviceAccount:" + MIGRATE_SA))
                .containsEntry(p + "jwt-private-key", List.of("serviceAccount:" + RUN_SA))
                .containsEntry(p + "database-url", List.of("serviceAccount:" + RUN_SA));
        assertThat(readers.entrySet())
                .filteredOn(e -> e.getValue().contains("serviceAccount:" + MIGRATE_SA))
                .extracting(Map.Entry::getKey)
                .containsExactlyInAnyOrder(p + "database-migrator-url", p + "database-runtime-password");
        assertThat(readers.keySet()).allMatch(id -> id.startsWith(p));
        // The only project-wide role: writing metrics (the Prometheus sidecar); it reads nothing.
        assertThat(mocks.ofType("gcp:projects/iAMMember:IAMMember"))
                .extracting(r -> r.inputs().get("role") + " " + r.inputs().get("member"))
                .containsExactly("roles/monitoring.metricWriter serviceAccount:" + RUN_SA);
        assertThat(mocks.ofType("gcp:projects/iAMBinding:IAMBinding")).isEmpty();
    }

    private static Map<String, Map<String, Object>> envs(Map<String, Object> container) {
        Map<String, Map<String, Object>> envs = new HashMap<>();
        list(container.get("envs")).forEach(e -> envs.put(String.valueOf(map(e).get("name")), map(e)));
        return envs;
    }

    @Test
    void cloudRunServiceIsReachableOnlyThroughTheLoadBalancerProbedAndScaled() {
        Map<String, Object> service = inputs("gcp:cloudrunv2/service:Service");
        assertThat(service)
                .containsEntry("name", "sentryagent-agentidp-production")
                .containsEntry("location", "us-central1")
                // Cloud Run, "Restrict network ingress": internal and Cloud Load Balancing only.
                .containsEntry("ingress", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER");
        Map<String, Object> template = map(service.get("template"));
        assertThat(template)
                .containsEntry("serviceAccount", RUN_SA)
                .containsEntry("maxInstanceRequestConcurrency", 80.0);
        // N+1 in production, like the AWS stack's two tasks.
        assertThat(map(template.get("scaling")))
                .containsEntry("minInstanceCount", 2.0)
                .containsEntry("maxInstanceCount", 10.0);
        assertThat(map(template.get("vpcAccess")))
                .containsEntry("egress", "PRIVATE_RANGES_ONLY")
                .containsEntry(
                        "connector",
                        "projects/my-gcp-project-id/locations/us-central1/connectors/agentidp-production-vpc");
        List<Object> containers = list(template.get("containers"));
        assertThat(containers).hasSize(2);
        Map<String, Object> container = map(containers.get(0));
        assertThat(container)
                .containsEntry("name", "agentidp")
                // The recorded digest, never a tag (deploy/image.json; the AWS stack runs the same one).
                .containsEntry(
                        "image",
                        "us-central1-docker.pkg.dev/my-gcp-project-id/agentidp/agentidp@"
                                + StackFile.image().digest());
        assertThat(list(container.get("ports"))).containsExactly(Map.of("name", "http1", "containerPort", 3000.0));
        assertThat(map(map(container.get("startupProbe")).get("httpGet"))).containsEntry("path", "/health");
        assertThat(map(map(container.get("livenessProbe")).get("httpGet"))).containsEntry("path", "/health");

        Map<String, Map<String, Object>> envs = envs(container);
        assertThat(envs.get("ISSUER_URL")).containsEntry("value", "https://idp-gcp.example.com");
        // Every serverCaCerts entry: during a CA rotation Memorystore lists the old and the new CA.
        assertThat(envs.get("REDIS_TLS_CA_CERT"))
                .containsEntry("value", GcpMocks.REDIS_CA + "\n" + GcpMocks.REDIS_NEXT_CA);
        // Likewise Cloud SQL's server CAs ("Rotate server CA certificates").
        assertThat(envs.get("DATABASE_CA_CERT")).containsEntry("value", GcpMocks.SQL_CA + "\n" + GcpMocks.SQL_NEXT_CA);
        assertThat(envs.get("ANALYTICS_ENABLED")).containsEntry("value", "false");
        // The runtime role cannot change the schema: the service must not try to migrate.
        assertThat(envs.get("DB_MIGRATE_ON_START")).containsEntry("value", "false");
        assertThat(envs).doesNotContainKeys("DATABASE_RUNTIME_PASSWORD", "DATABASE_MIGRATOR_URL", "GMP_CONFIG");
        for (String secret : List.of(
                "DATABASE_URL",
                "REDIS_URL",
                "JWT_PRIVATE_KEY",
                "JWT_PUBLIC_KEY",
                "CREDENTIAL_HASH_KEY",
                "AUDIT_CHAIN_KEY",
                "BOOTSTRAP_ADMIN_SECRET")) {
            Map<String, Object> env = envs.get(secret);
            assertThat(env).as(secret).doesNotContainKey("value");
            // Pinned to the version this stack wrote: "latest" does not roll a revision when a value changes,
            // and the first revision fails if it starts before a version exists.
            assertThat(map(map(env.get("valueSource")).get("secretKeyRef")))
                    .containsEntry("version", GcpMocks.SECRET_VERSION)
                    .containsKey("secret");
        }
        assertThat(map(map(envs.get("DATABASE_URL").get("valueSource")).get("secretKeyRef")))
                .containsEntry("secret", "sentryagent-agentidp-production-database-url");

        assertThat(inputs("gcp:cloudrunv2/serviceIamMember:ServiceIamMember"))
                .containsEntry("role", "roles/run.invoker")
                .containsEntry("member", "allUsers");
    }

    /**
     * Google's load balancer appends "<client>, <forwarding rule address>" to X-Forwarded-For (Cloud Load
     * Balancing, external Application Load Balancer: "X-Forwarded-For: <unverified IP(s)>, <immediate client IP>,
     * <global forwarding rule external IP>"). The service takes the hop TRUSTED_PROXY_COUNT from the right
     * (http/ClientIp), so it must be 2: with 1 it would rate-limit the load balancer's address, not the client.
     */
    @Test
    void trustedProxyCountPointsAtTheClientBehindGooglesLoadBalancer() {
        Map<String, Map<String, Object>> envs =
                envs(map(list(map(inputs("gcp:cloudrunv2/service:Service").get("template"))
                                .get("containers"))
                        .get(0)));
        int trusted =
                Integer.parseInt(String.valueOf(envs.get("TRUSTED_PROXY_COUNT").get("value")));
        List<String> header = List.of("198.51.100.66" /* forged by the client */, "192.0.2.7", GcpMocks.LB_IP);
        assertThat(header.get(header.size() - trusted)).isEqualTo("192.0.2.7");
    }

    /**
     * Managed Prometheus on Cloud Run (Cloud Run, "Write Prometheus metrics by using the Prometheus sidecar"): the
     * collector image from cloud-ops-agents-artifacts, started after the service, with a RunMonitoring config at
     * /etc/rungmp/config.yaml that names the service's port (the default, 8080, is not ours).
     */
    @Test
    void managedPrometheusScrapesTheServicesPort() {
        Map<String, Object> template =
                map(inputs("gcp:cloudrunv2/service:Service").get("template"));
        Map<String, Object> collector = map(list(template.get("containers")).get(1));
        assertThat(String.valueOf(collector.get("image")))
                .matches("us-docker\\.pkg\\.dev/cloud-ops-agents-artifacts/cloud-run-gmp-sidecar/"
                        + "cloud-run-gmp-sidecar:\\d+\\.\\d+\\.\\d+");
        // Only the ingress container may declare a port (Cloud Run, "Deploying multiple containers").
        assertThat(collector).doesNotContainKey("ports").containsEntry("dependsOns", List.of("agentidp"));
        assertThat(list(collector.get("volumeMounts")))
                .containsExactly(Map.of("name", "gmp-config", "mountPath", "/etc/rungmp/"));
        Map<String, Object> volume = map(list(template.get("volumes")).get(0));
        assertThat(volume).containsEntry("name", "gmp-config");
        assertThat(map(volume.get("secret")))
                .containsEntry("secret", "sentryagent-agentidp-production-gmp-config")
                .containsEntry("items", List.of(Map.of("version", GcpMocks.SECRET_VERSION, "path", "config.yaml")));
        String config = secretValues().get("sentryagent-agentidp-production-secrets-gmp-config-version");
        assertThat(config)
                .contains("kind: RunMonitoring")
                .contains("- port: " + Service.PORT)
                .contains("path: /metrics");
    }

    @Test
    void migrateJobRunsAsItsOwnIdentityWithTheMigratorAndTheRuntimeRole() {
        Map<String, Object> job = inputs("gcp:cloudrunv2/job:Job");
        assertThat(job).containsEntry("name", "agentidp-migrate");
        Map<String, Object> template = map(map(job.get("template")).get("template"));
        assertThat(template).containsEntry("serviceAccount", MIGRATE_SA);
        assertThat(map(template.get("vpcAccess"))).containsKey("connector");
        Map<String, Object> container = map(list(template.get("containers")).get(0));
        assertThat(container).containsEntry("args", List.of("migrate"));
        Map<String, Map<String, Object>> envs = envs(container);
        assertThat(envs.keySet())
                .containsExactlyInAnyOrder(
                        "NODE_ENV",
                        "DATABASE_URL",
                        "DATABASE_CA_CERT",
                        "DATABASE_RUNTIME_ROLE",
                        "DATABASE_RUNTIME_PASSWORD");
        assertThat(envs.get("DATABASE_RUNTIME_ROLE")).containsEntry("value", "agentidp_app");
        assertThat(map(map(envs.get("DATABASE_URL").get("valueSource")).get("secretKeyRef")))
                .containsEntry("secret", "sentryagent-agentidp-production-database-migrator-url");
        assertThat(map(map(envs.get("DATABASE_RUNTIME_PASSWORD").get("valueSource"))
                        .get("secretKeyRef")))
                .containsEntry("secret", "sentryagent-agentidp-production-database-runtime-password");
    }

    /**
     * Cloud Run resolves every secret version and the database at the first revision's start ("versions/latest was
     * not found" otherwise): the service and the job wait for every SecretVersion, the SQL user and the database.
     */
    @Test
    void theServiceAndTheJobWaitForSecretVersionsTheUserAndTheDatabase() {
        for (String runResource : List.of(
                "gcp:cloudrunv2/service:Service::sentryagent-agentidp-production-service-run",
                "gcp:cloudrunv2/job:Job::sentryagent-agentidp-production-service-migrate")) {
            List<String> after = dependencies.of(runResource);
            assertThat(after)
                    .as(runResource)
                    .contains(
                            "gcp:sql/user:User::sentryagent-agentidp-production-database-user",
                            "gcp:sql/database:Database::sentryagent-agentidp-production-database-database");
            for (Registration version : mocks.ofType("gcp:secretmanager/secretVersion:SecretVersion")) {
                assertThat(after)
                        .as(runResource)
                        .contains("gcp:secretmanager/secretVersion:SecretVersion::" + version.name());
            }
        }
        assertThat(plan).contains("\"dependsOn\":[\"");
    }

    /** The PSA range cannot overlap the connector's or the subnet's (pinned, so Google cannot pick an overlap). */
    @Test
    void addressRangesDoNotOverlap() {
        List<String> ranges =
                List.of(Network.PSA_ADDRESS + "/" + Network.PSA_PREFIX, Network.CONNECTOR_RANGE, Network.SUBNET_RANGE);
        for (int i = 0; i < ranges.size(); i++) {
            for (int j = i + 1; j < ranges.size(); j++) {
                assertThat(overlap(ranges.get(i), ranges.get(j)))
                        .as(ranges.get(i) + " / " + ranges.get(j))
                        .isFalse();
            }
        }
        assertThat(overlap("10.8.0.0/16", Network.CONNECTOR_RANGE))
                .as("the check itself")
                .isTrue();
    }

    private static boolean overlap(String a, String b) {
        long[] x = cidr(a);
        long[] y = cidr(b);
        return x[0] <= y[1] && y[0] <= x[1];
    }

    private static long[] cidr(String range) {
        String[] parts = range.split("/");
        long base = 0;
        for (String octet : parts[0].split("\\.")) {
            base = base * 256 + Long.parseLong(octet);
        }
        long size = 1L << (32 - Integer.parseInt(parts[1]));
        return new long[] {base, base + size - 1};
    }

    /** The image's registry is code: an Artifact Registry Docker repository with immutable tags, protected. */
    @Test
    void theImageRepositoryIsCode() {
        assertThat(inputs("gcp:artifactregistry/repository:Repository"))
                .containsEntry("repositoryId", "agentidp")
                .containsEntry("format", "DOCKER")
                .containsEntry("location", "us-central1")
                .containsEntry("dockerConfig", Map.of("immutableTags", true));
        assertThat(config("production", Map.of()).image())
                .startsWith("us-central1-docker.pkg.dev/my-gcp-project-id/agentidp/");
    }

    /** Each generated secret has its own seed: rotating the database password changes nothing else. */
    @Test
    void eachGeneratedSecretHasItsOwnSeed() {
        assertThat(derived("databasePasswordSeed", "database-password"))
                .isNotEqualTo(GeneratedSecrets.hmac("rotated", "database-password"));
        assertThat(plan).doesNotContain("secretSeed");
        assertThat(java.util.Set.copyOf(SEEDS.values())).hasSize(5);
    }

    @Test
    void outputsAreExported() {
        assertThat(outputs)
                .containsEntry("service_url", "https://idp-gcp.example.com")
                .containsEntry("load_balancer_ip", GcpMocks.LB_IP)
                .containsEntry("run_url", "https://sentryagent-agentidp-production-abc123-uc.a.run.app")
                .containsEntry("migrate_service_account", MIGRATE_SA)
                .containsEntry(
                        "cloud_sql_connection_name",
                        "my-gcp-project-id:us-central1:sentryagent-agentidp-production-pg14")
                .containsEntry("memorystore_host", GcpMocks.REDIS_HOST)
                .containsEntry("image_digest", StackFile.image().digest())
                .containsEntry("run_service_account", RUN_SA)
                .containsEntry(
                        "migrate_command",
                        "gcloud run jobs execute agentidp-migrate --region us-central1 --project my-gcp-project-id --wait");
    }

    @Test
    void everyResourceBelongsToAComponent() {
        assertThat(plan)
                .contains(
                        "\"type\":\"agentidp:gcp:Network\"",
                        "\"type\":\"agentidp:gcp:Database\"",
                        "\"type\":\"agentidp:gcp:Cache\"",
                        "\"type\":\"agentidp:gcp:Secrets\"",
                        "\"type\":\"agentidp:gcp:Service\"",
                        "\"type\":\"agentidp:gcp:FrontDoor\"",
                        "\"type\":\"agentidp:gcp:Observability\"");
        for (String line : plan.split("\n")) {
            if (line.contains("\"type\":\"gcp:")) {
                assertThat(line).as(line).contains("\"parent\":\"agentidp:gcp:");
            }
        }
    }

    @Test
    void thePlanIsStableAndMasksEverySecret() {
        assertThat(plan).contains(PlanWriter.MASK);
        for (String secret : List.of(
                JWT_PRIVATE.strip(),
                "testprivatekeymaterial",
                SEEDS.get("databasePasswordSeed"),
                SEEDS.get("credentialHashKeySeed"),
                SEEDS.get("databaseRuntimePasswordSeed"),
                derived("databaseRuntimePasswordSeed", "database-runtime-password"),
                GcpMocks.REDIS_AUTH,
                derived("databasePasswordSeed", "database-password"),
                derived("credentialHashKeySeed", "credential-hash-key"),
                derived("auditChainKeySeed", "audit-chain-key"),
                derived("bootstrapAdminSecretSeed", "bootstrap-admin-secret"))) {
            assertThat(plan).as("plan leaks a secret").doesNotContain(secret);
        }
        List<String> lines = List.of(plan.split("\n"));
        assertThat(lines.subList(1, lines.size() - 1))
                .isSortedAccordingTo((a, b) -> a.compareTo(b) == 0 ? 0 : key(a).compareTo(key(b)));
    }

    private static String key(String line) {
        int type = line.indexOf("\"type\":\"");
        String t = line.substring(type + 8, line.indexOf('"', type + 8));
        int name = line.indexOf("\"name\":\"");
        return t + "::" + line.substring(name + 8, line.indexOf('"', name + 8));
    }
}
