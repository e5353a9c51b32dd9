package ai.sentryagent.agentidp.infra.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Stack configuration: the committed production file, every error path, and GCP's name limits. */
class GcpConfigTest {

    @Test
    void theCommittedProductionStackFileIsValidAndHoldsNoPlaintextSecret() throws IOException {
        Path file = StackFile.PRODUCTION;
        Map<String, String> values = StackFile.production();
        assertThat(values).doesNotContainKeys("agentidp:jwtPrivateKey", "agentidp:jwtPublicKey");
        for (String seed : GcpConfig.SEED_KEYS) {
            assertThat(values).doesNotContainKey("agentidp:" + seed);
        }
        String content = Files.readString(file);
        assertThat(content).doesNotContain("BEGIN PRIVATE KEY").doesNotContainPattern("(?m)^\\s+secure: v1:");
        GcpConfig config =
                GcpConfig.parse(StackFile.image(), "production", key -> Optional.ofNullable(values.get(key)), null);
        assertThat(config.postgresVersion()).isEqualTo("POSTGRES_14");
        assertThat(config.names().sqlInstance()).isEqualTo("sentryagent-agentidp-production-pg14");
    }

    @Test
    void missingAndMalformedKeysAreNamed() {
        assertThatThrownBy(() -> GcpConfig.parse(StackFile.image(), "production", key -> Optional.empty(), null))
                .hasMessageContaining("gcp:project is required")
                .hasMessageContaining("gcp:region is required")
                .hasMessageContaining("agentidp:domain is required")
                .hasMessageContaining("agentidp:alertEmail is required in production");
        Map<String, String> bad = new HashMap<>(Map.of(
                "gcp:project", "Bad_Project",
                "gcp:region", "us-central1",
                "agentidp:domain", "*.example.com",
                "agentidp:postgresVersion", "POSTGRES_9_6",
                "agentidp:minInstances", "0",
                "agentidp:maxInstances", "many",
                "agentidp:billingEnabled", "maybe"));
        assertThatThrownBy(() -> GcpConfig.parse(
                        StackFile.image(), "production", key -> Optional.ofNullable(bad.get(key)), null))
                .hasMessageContaining("gcp:project must be a GCP project id")
                .hasMessageContaining("agentidp:domain must be the DNS name the load balancer serves")
                .hasMessageContaining("agentidp:postgresVersion must be POSTGRES_14 to POSTGRES_17")
                .hasMessageContaining("agentidp:minInstances must be between 1 and 1000, got 0")
                .hasMessageContaining("agentidp:maxInstances must be a whole number")
                .hasMessageContaining("agentidp:billingEnabled must be true or false");
    }

    @Test
    void seedNamesThatBreakGcpLimitsAreReplacedByValidShortForms() {
        Names production = Names.forStack("production", "POSTGRES_14");
        // The seed's "sentryagent-agentidp-production-connector" (41) and "...-run-sa" (38) are too long.
        assertThat(("sentryagent-agentidp-production-connector").length()).isGreaterThan(25);
        assertThat(production.connector()).isEqualTo("agentidp-production-vpc").hasSizeLessThanOrEqualTo(25);
        assertThat(production.runServiceAccount())
                .isEqualTo("agentidp-production-run")
                .hasSizeBetween(6, 30);
        assertThat(production.sqlInstance()).isEqualTo("sentryagent-agentidp-production-pg14");
        assertThat(production.memorystore()).hasSizeLessThanOrEqualTo(40);

        Names longStack = Names.forStack("staging-europe-west", "POSTGRES_16");
        assertThat(longStack.connector()).hasSizeLessThanOrEqualTo(25).matches("[a-z][-a-z0-9]*[a-z0-9]");
        assertThat(longStack.runServiceAccount()).hasSizeBetween(6, 30);
        assertThat(longStack.sqlInstance()).endsWith("-pg16");
        assertThat(Names.forStack("staging", "POSTGRES_14").migrateJob()).isEqualTo("agentidp-migrate-staging");
    }

    @Test
    void stackNamesGcpWouldRefuseFailBeforeAnyResource() {
        assertThatThrownBy(() -> Names.forStack("Prod", "POSTGRES_14")).hasMessageContaining("stack name 'Prod'");
        assertThatThrownBy(() -> Names.forStack("a-very-long-stack-name-for-testing-limits", "POSTGRES_14"))
                .hasMessageContaining("Memorystore instance name")
                .hasMessageContaining("(allowed 1-40)");
        for (String stack : List.of("production", "staging", "dev")) {
            assertThat(Names.forStack(stack, "POSTGRES_14").prefix()).startsWith("sentryagent-agentidp-");
        }
    }

    /**
     * The service refuses to start with a feature this build does not implement (service config Features: "asks
     * for …, which this build of AgentIdP does not implement"); preview refuses it first, naming the key.
     */
    @Test
    void featureSwitchesTheServiceRefusesFailBeforeAnyResource() {
        for (String key : List.of(
                "agentidp:analyticsEnabled",
                "agentidp:tierEnforcement",
                "agentidp:complianceEnabled",
                "agentidp:billingEnabled")) {
            Map<String, String> values = StackFile.production();
            values.put(key, "true");
            assertThatThrownBy(() -> GcpConfig.parse(
                            StackFile.image(), "production", k -> Optional.ofNullable(values.get(k)), null))
                    .as(key)
                    .hasMessageContaining(key + "=true asks for")
                    .hasMessageContaining("does not implement");
        }
        Map<String, String> values = StackFile.production();
        values.put("agentidp:redisRateLimitEnabled", "false");
        assertThat(GcpConfig.parse(StackFile.image(), "production", k -> Optional.ofNullable(values.get(k)), null)
                        .features())
                .containsEntry("REDIS_RATE_LIMIT_ENABLED", "false");
    }

    /**
     * Cloud Run runs the digest of deploy/image.json in the default Artifact Registry path, never a tag; a tag or a
     * malformed digest fails naming the key or the file. The digest grammar is the OCI image spec's (descriptor.md,
     * "Digests": the registered sha256 algorithm's encoded part is 64 lowercase hex characters).
     */
    @Test
    void theImageIsTheRecordedDigestNeverATag() throws IOException {
        Map<String, String> values = StackFile.production();
        DeployedImage image = StackFile.image();
        assertThat(image.digest()).matches("sha256:[0-9a-f]{64}");
        GcpConfig config = GcpConfig.parse(image, "production", k -> Optional.ofNullable(values.get(k)), null);
        assertThat(config.image())
                .isEqualTo("us-central1-docker.pkg.dev/my-gcp-project-id/agentidp/agentidp@" + image.digest());
        assertThat(config.imageDigest()).isEqualTo(image.digest());

        values.put("agentidp:image", "us-central1-docker.pkg.dev/my-gcp-project-id/agentidp/agentidp:1.0.0");
        assertThatThrownBy(() -> GcpConfig.parse(image, "production", k -> Optional.ofNullable(values.get(k)), null))
                .hasMessageContaining("agentidp:image is no longer read")
                .hasMessageContaining("deploy/image.json");
        values.remove("agentidp:image");
        values.put("agentidp:imageRepository", "us-central1-docker.pkg.dev/my-gcp-project-id/agentidp/agentidp:latest");
        assertThatThrownBy(() -> GcpConfig.parse(image, "production", k -> Optional.ofNullable(values.get(k)), null))
                .hasMessageContaining("agentidp:imageRepository must be an Artifact Registry image path without tag");

        Path root = Files.createTempDirectory("image-record");
        Files.createDirectories(root.resolve("deploy"));
        for (var bad : Map.of(
                        "{\"version\":\"1\",\"revision\":\"" + "a".repeat(40) + "\",\"digest\":\"1.0.0\"}",
                        "deploy/image.json: digest must be sha256:<64 lowercase hex digits>",
                        "{\"version\":\"1\",\"revision\":\"" + "a".repeat(40) + "\",\"digest\":\"sha256:"
                                + "A".repeat(64) + "\"}",
                        "deploy/image.json: digest must be sha256:<64 lowercase hex digits>",
                        "{\"version\":\"1\",\"revision\":\"main\"}",
                        "deploy/image.json: digest is required")
                .entrySet()) {
            Files.writeString(root.resolve("deploy/image.json"), bad.getKey());
            assertThatThrownBy(() -> DeployedImage.read(root)).as(bad.getKey()).hasMessageContaining(bad.getValue());
        }
        Files.delete(root.resolve("deploy/image.json"));
        assertThatThrownBy(() -> DeployedImage.read(root)).hasMessageContaining("deploy/image.json is missing");
    }

    /** A stack file still carrying the old key is told what replaced it, instead of silently using the wrong issuer. */
    @Test
    void theOldIssuerUrlKeyIsRefusedNamingItsReplacement() {
        Map<String, String> values = StackFile.production();
        values.put("agentidp:issuerUrl", "https://idp.example.com");
        assertThatThrownBy(() ->
                        GcpConfig.parse(StackFile.image(), "production", k -> Optional.ofNullable(values.get(k)), null))
                .hasMessageContaining("agentidp:issuerUrl is replaced by agentidp:domain");
    }

    /** N+1 in production: one instance is a single point of failure during a revision roll or a zone outage. */
    @Test
    void productionRefusesASingleInstanceOtherStacksMayUseOne() {
        Map<String, String> values = StackFile.production();
        values.put("agentidp:minInstances", "1");
        assertThatThrownBy(() ->
                        GcpConfig.parse(StackFile.image(), "production", k -> Optional.ofNullable(values.get(k)), null))
                .hasMessageContaining("agentidp:minInstances must be at least 2 in production");
        values.remove("agentidp:alertEmail");
        assertThat(GcpConfig.parse(StackFile.image(), "staging", k -> Optional.ofNullable(values.get(k)), null)
                        .minInstances())
                .isEqualTo(1);
    }

    /** Cloud Armor's rate-based ban accepts 1 to 10,000 requests per interval ("Rate limiting overview"). */
    @Test
    void rateLimitAndRetentionStayWithinWhatGcpAccepts() {
        Map<String, String> values = StackFile.production();
        values.put("agentidp:tokenRateLimitPerMinute", "20000");
        values.put("agentidp:logRetentionDays", "4000");
        values.put("agentidp:kafkaBrokers", "not a broker list");
        assertThatThrownBy(() ->
                        GcpConfig.parse(StackFile.image(), "production", k -> Optional.ofNullable(values.get(k)), null))
                .hasMessageContaining("agentidp:tokenRateLimitPerMinute must be between 1 and 10000")
                .hasMessageContaining("agentidp:logRetentionDays must be between 1 and 3650")
                .hasMessageContaining("agentidp:kafkaBrokers must be a comma-separated list of host:port");
    }
}
