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
            "bootstrapAdminSecretSeed", "seed-bas-0123456789abcdefghijklmnopqrst");

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
                        Output.ofSecret(SEEDS.get("bootstrapAdminSecretSeed"))));
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
                        "cloudresourcemanager.googleapis.com");
        assertThat(apis)
                .allSatisfy(r -> assertThat(r.inputs().get("disableOnDestroy")).isEqualTo(false));
    }

    @Test
    void networkHasCustomSubnetsPrivateServicesAccessAndAConnector() {
        assertThat(inputs("gcp:compute/network:Network"))
                .containsEntry("name", "sentryagent-agentidp-production")
                .containsEntry("autoCreateSubnetworks", false);
        assertThat(inputs("gcp:compute/subnetwork:Subnetwork"))
                .containsEntry("ipCidrRange", "10.10.0.0/24")
                .containsEntry("region", "us-central1")
                .containsEntry("privateIpGoogleAccess", true);
        assertThat(inputs("gcp:compute/globalAddress:GlobalAddress"))
                .containsEntry("purpose", "VPC_PEERING")
                .containsEntry("addressType", "INTERNAL")
                .containsEntry("address", Network.PSA_ADDRESS)
                .containsEntry("prefixLength", 16.0);
        assertThat(inputs("gcp:servicenetworking/connection:Connection"))
                .containsEntry("service", "servicenetworking.googleapis.com")
                .containsEntry("reservedPeeringRanges", List.of("sentryagent-agentidp-production-psa"));
        assertThat(inputs("gcp:vpcaccess/connector:Connector"))
                .containsEntry("name", "agentidp-production-vpc")
                .containsEntry("ipCidrRange", "10.8.0.0/28")
                .containsEntry("machineType", "e2-micro");
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
                .containsEntry("connectMode", "PRIVATE_SERVICE_ACCESS");
    }

    @Test
    void secretsHoldComposedAndGeneratedValues() {
        Map<String, String> versions = mocks.ofType("gcp:secretmanager/secretVersion:SecretVersion").stream()
                .collect(Collectors.toMap(
                        Registration::name, r -> String.valueOf(r.inputs().get("secretData"))));
        String prefix = "sentryagent-agentidp-production-secrets-";
        assertThat(versions.get(prefix + "database-url-version"))
                .isEqualTo("postgres://agentidp:"
                        + derived("databasePasswordSeed", "database-password") + "@" + GcpMocks.SQL_IP
                        + ":5432/agentidp?sslmode=require");
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
                        "sentryagent-agentidp-production-redis-url",
                        "sentryagent-agentidp-production-jwt-private-key",
                        "sentryagent-agentidp-production-jwt-public-key",
                        "sentryagent-agentidp-production-credential-hash-key",
                        "sentryagent-agentidp-production-audit-chain-key",
                        "sentryagent-agentidp-production-bootstrap-admin-secret");
    }

    @Test
    void theRunServiceAccountMayReadExactlyItsSecretsAndNothingProjectWide() {
        assertThat(inputs("gcp:serviceaccount/account:Account")).containsEntry("accountId", "agentidp-production-run");
        List<Registration> grants = mocks.ofType("gcp:secretmanager/secretIamMember:SecretIamMember");
        assertThat(grants)
                .hasSize(7)
                .allSatisfy(grant -> assertThat(grant.inputs())
                        .containsEntry("role", "roles/secretmanager.secretAccessor")
                        .containsEntry(
                                "member",
                                "serviceAccount:agentidp-production-run@my-gcp-project-id.iam.gserviceaccount.com"));
        assertThat(grants)
                .extracting(g -> g.inputs().get("secretId").toString())
                .allMatch(id -> id.startsWith("sentryagent-agentidp-production-"));
        assertThat(mocks.ofType("gcp:projects/iAMMember:IAMMember")).isEmpty();
        assertThat(mocks.ofType("gcp:projects/iAMBinding:IAMBinding")).isEmpty();
    }

    @Test
    void cloudRunServiceIsPrivateEgressProbedScaledAndPublic() {
        Map<String, Object> service = inputs("gcp:cloudrunv2/service:Service");
        assertThat(service)
                .containsEntry("name", "sentryagent-agentidp-production")
                .containsEntry("location", "us-central1")
                .containsEntry("ingress", "INGRESS_TRAFFIC_ALL");
        Map<String, Object> template = map(service.get("template"));
        assertThat(template)
                .containsEntry("serviceAccount", "agentidp-production-run@my-gcp-project-id.iam.gserviceaccount.com")
                .containsEntry("maxInstanceRequestConcurrency", 80.0);
        assertThat(map(template.get("scaling")))
                .containsEntry("minInstanceCount", 1.0)
                .containsEntry("maxInstanceCount", 10.0);
        assertThat(map(template.get("vpcAccess")))
                .containsEntry("egress", "PRIVATE_RANGES_ONLY")
                .containsEntry(
                        "connector",
                        "projects/my-gcp-project-id/locations/us-central1/connectors/agentidp-production-vpc");
        Map<String, Object> container = map(list(template.get("containers")).get(0));
        // The recorded digest, never a tag (deploy/image.json; the AWS stack runs the same one).
        assertThat(container)
                .containsEntry(
                        "image",
                        "us-central1-docker.pkg.dev/my-gcp-project-id/agentidp/agentidp@"
                                + StackFile.image().digest());
        assertThat(list(container.get("ports"))).containsExactly(Map.of("name", "http1", "containerPort", 3000.0));
        assertThat(map(map(container.get("startupProbe")).get("httpGet"))).containsEntry("path", "/health");
        assertThat(map(map(container.get("livenessProbe")).get("httpGet"))).containsEntry("path", "/health");

        Map<String, Object> envs = new HashMap<>();
        list(container.get("envs")).forEach(e -> envs.put(String.valueOf(map(e).get("name")), map(e)));
        assertThat(map(envs.get("ISSUER_URL"))).containsEntry("value", "https://idp.example.com");
        // Every serverCaCerts entry: during a CA rotation Memorystore lists the old and the new CA.
        assertThat(map(envs.get("REDIS_TLS_CA_CERT")))
                .containsEntry("value", GcpMocks.REDIS_CA + "\n" + GcpMocks.REDIS_NEXT_CA);
        assertThat(map(envs.get("ANALYTICS_ENABLED"))).containsEntry("value", "false");
        assertThat(map(envs.get("TRUSTED_PROXY_COUNT"))).containsEntry("value", "1");
        for (String secret : List.of(
                "DATABASE_URL",
                "REDIS_URL",
                "JWT_PRIVATE_KEY",
                "JWT_PUBLIC_KEY",
                "CREDENTIAL_HASH_KEY",
                "AUDIT_CHAIN_KEY",
                "BOOTSTRAP_ADMIN_SECRET")) {
            Map<String, Object> env = map(envs.get(secret));
            assertThat(env).as(secret).doesNotContainKey("value");
            // Pinned to the version this stack wrote: "latest" does not roll a revision when a value changes,
            // and the first revision fails if it starts before a version exists.
            assertThat(map(map(env.get("valueSource")).get("secretKeyRef")))
                    .containsEntry("version", GcpMocks.SECRET_VERSION)
                    .containsKey("secret");
        }

        assertThat(inputs("gcp:cloudrunv2/serviceIamMember:ServiceIamMember"))
                .containsEntry("role", "roles/run.invoker")
                .containsEntry("member", "allUsers");
    }

    @Test
    void migrateJobRunsMigrateWithTheDatabaseSecretAndConnector() {
        Map<String, Object> job = inputs("gcp:cloudrunv2/job:Job");
        assertThat(job).containsEntry("name", "agentidp-migrate");
        Map<String, Object> template = map(map(job.get("template")).get("template"));
        assertThat(template)
                .containsEntry("serviceAccount", "agentidp-production-run@my-gcp-project-id.iam.gserviceaccount.com");
        assertThat(map(template.get("vpcAccess"))).containsKey("connector");
        Map<String, Object> container = map(list(template.get("containers")).get(0));
        assertThat(container).containsEntry("args", List.of("migrate"));
        assertThat(list(container.get("envs")))
                .extracting(e -> map(e).get("name"))
                .containsExactly("NODE_ENV", "DATABASE_URL");
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
        assertThat(java.util.Set.copyOf(SEEDS.values())).hasSize(4);
    }

    @Test
    void outputsAreExported() {
        assertThat(outputs)
                .containsEntry("service_url", "https://sentryagent-agentidp-production-abc123-uc.a.run.app")
                .containsEntry(
                        "cloud_sql_connection_name",
                        "my-gcp-project-id:us-central1:sentryagent-agentidp-production-pg14")
                .containsEntry("memorystore_host", GcpMocks.REDIS_HOST)
                .containsEntry("image_digest", StackFile.image().digest())
                .containsEntry(
                        "run_service_account", "agentidp-production-run@my-gcp-project-id.iam.gserviceaccount.com")
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
                        "\"type\":\"agentidp:gcp:Service\"");
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
