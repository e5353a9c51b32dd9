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
    static final String SEED = "test-secret-seed-abcdefghijklmnopqrstuvwxyz";

    private static GcpMocks mocks;
    private static Map<String, Object> outputs;
    private static String plan;

    static GcpConfig config(String stack, Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>(Map.of(
                "gcp:project", "agentidp-prod-1234",
                "gcp:region", "us-central1",
                "agentidp:image", "us-central1-docker.pkg.dev/agentidp-prod-1234/agentidp/agentidp:1.0.0",
                "agentidp:issuerUrl", "https://idp.example.com"));
        values.putAll(overrides);
        return GcpConfig.parse(
                stack,
                key -> Optional.ofNullable(values.get(key)),
                new GcpConfig.Secrets(
                        Output.ofSecret(JWT_PRIVATE), Output.ofSecret(JWT_PUBLIC), Output.ofSecret(SEED)));
    }

    @BeforeAll
    static void run() throws Exception {
        mocks = new GcpMocks();
        GcpConfig config = config("production", Map.of("agentidp:analyticsEnabled", "true"));
        TestResult result = PulumiTest.withMocks(mocks)
                .withOptions(TestOptions.builder()
                        .projectName("agentidp")
                        .stackName("production")
                        .build())
                .runTest(ctx -> AgentIdpGcp.define(ctx, config))
                .throwOnError();
        outputs = new HashMap<>();
        result.outputs().forEach((name, output) -> outputs.put(name, PulumiTest.extractValue(output)));
        plan = PlanWriter.render(result.resources(), mocks);
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
                        "compute.googleapis.com");
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
                .containsEntry("deletionProtectionEnabled", true);
        assertThat(map(settings.get("ipConfiguration")))
                .containsEntry("ipv4Enabled", false)
                .containsEntry("requireSsl", true)
                .containsEntry(
                        "privateNetwork",
                        "projects/agentidp-prod-1234/global/networks/sentryagent-agentidp-production");
        assertThat(map(settings.get("backupConfiguration")))
                .containsEntry("enabled", true)
                .containsEntry("pointInTimeRecoveryEnabled", true);
        assertThat(map(settings.get("maintenanceWindow"))).containsEntry("day", 7.0);
        assertThat(map(settings.get("insightsConfig"))).containsEntry("queryInsightsEnabled", true);
        assertThat(inputs("gcp:sql/database:Database")).containsEntry("name", "agentidp");
        assertThat(inputs("gcp:sql/user:User"))
                .containsEntry("name", "agentidp")
                .containsEntry("password", GeneratedSecrets.hmac(SEED, "database-password"));
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
                        + GeneratedSecrets.hmac(SEED, "database-password") + "@" + GcpMocks.SQL_IP
                        + ":5432/agentidp?sslmode=require");
        assertThat(versions.get(prefix + "redis-url-version"))
                .isEqualTo("rediss://:" + GcpMocks.REDIS_AUTH + "@" + GcpMocks.REDIS_HOST + ":6379/0");
        assertThat(versions.get(prefix + "jwt-private-key-version")).isEqualTo(JWT_PRIVATE);
        assertThat(versions.get(prefix + "credential-hash-key-version"))
                .isEqualTo(GeneratedSecrets.hmac(SEED, "credential-hash-key"))
                .hasSize(43);
        assertThat(versions.get(prefix + "audit-chain-key-version"))
                .isEqualTo(GeneratedSecrets.hmac(SEED, "audit-chain-key"))
                .hasSize(43);
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
                                "serviceAccount:agentidp-production-run@agentidp-prod-1234.iam.gserviceaccount.com"));
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
                .containsEntry("serviceAccount", "agentidp-production-run@agentidp-prod-1234.iam.gserviceaccount.com")
                .containsEntry("maxInstanceRequestConcurrency", 80.0);
        assertThat(map(template.get("scaling")))
                .containsEntry("minInstanceCount", 1.0)
                .containsEntry("maxInstanceCount", 10.0);
        assertThat(map(template.get("vpcAccess")))
                .containsEntry("egress", "PRIVATE_RANGES_ONLY")
                .containsEntry(
                        "connector",
                        "projects/agentidp-prod-1234/locations/us-central1/connectors/agentidp-production-vpc");
        Map<String, Object> container = map(list(template.get("containers")).get(0));
        assertThat(container)
                .containsEntry("image", "us-central1-docker.pkg.dev/agentidp-prod-1234/agentidp/agentidp:1.0.0");
        assertThat(list(container.get("ports"))).containsExactly(Map.of("name", "http1", "containerPort", 3000.0));
        assertThat(map(map(container.get("startupProbe")).get("httpGet"))).containsEntry("path", "/health");
        assertThat(map(map(container.get("livenessProbe")).get("httpGet"))).containsEntry("path", "/health");

        Map<String, Object> envs = new HashMap<>();
        list(container.get("envs")).forEach(e -> envs.put(String.valueOf(map(e).get("name")), map(e)));
        assertThat(map(envs.get("ISSUER_URL"))).containsEntry("value", "https://idp.example.com");
        assertThat(map(envs.get("REDIS_TLS_CA_CERT"))).containsEntry("value", GcpMocks.REDIS_CA);
        assertThat(map(envs.get("ANALYTICS_ENABLED"))).containsEntry("value", "true");
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
            assertThat(map(map(env.get("valueSource")).get("secretKeyRef")))
                    .containsEntry("version", "latest")
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
                .containsEntry("serviceAccount", "agentidp-production-run@agentidp-prod-1234.iam.gserviceaccount.com");
        assertThat(map(template.get("vpcAccess"))).containsKey("connector");
        Map<String, Object> container = map(list(template.get("containers")).get(0));
        assertThat(container).containsEntry("args", List.of("migrate"));
        assertThat(list(container.get("envs")))
                .extracting(e -> map(e).get("name"))
                .containsExactly("NODE_ENV", "DATABASE_URL");
    }

    @Test
    void outputsAreExported() {
        assertThat(outputs)
                .containsEntry("service_url", "https://sentryagent-agentidp-production-abc123-uc.a.run.app")
                .containsEntry(
                        "cloud_sql_connection_name",
                        "agentidp-prod-1234:us-central1:sentryagent-agentidp-production-pg14")
                .containsEntry("memorystore_host", GcpMocks.REDIS_HOST)
                .containsEntry(
                        "run_service_account", "agentidp-production-run@agentidp-prod-1234.iam.gserviceaccount.com")
                .containsEntry(
                        "migrate_command",
                        "gcloud run jobs execute agentidp-migrate --region us-central1 --project agentidp-prod-1234 --wait");
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
                SEED,
                GcpMocks.REDIS_AUTH,
                GeneratedSecrets.hmac(SEED, "database-password"),
                GeneratedSecrets.hmac(SEED, "credential-hash-key"),
                GeneratedSecrets.hmac(SEED, "audit-chain-key"),
                GeneratedSecrets.hmac(SEED, "bootstrap-admin-secret"))) {
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
