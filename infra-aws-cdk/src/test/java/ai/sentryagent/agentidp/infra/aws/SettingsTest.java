package ai.sentryagent.agentidp.infra.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reading cdk.json context: defaults, overrides and every error path, each naming its key. */
class SettingsTest {
    private static final String ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/";
    private static final String ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:/sentryagent-agentidp/p/";

    private static Map<String, Object> valid() {
        Map<String, Object> env = new HashMap<>();
        env.put("account", "123456789012");
        env.put("region", "eu-west-1");
        env.put("domainName", "idp.example.org");
        env.put("hostedZoneId", "Z0ABCDEF");
        env.put("hostedZoneName", "example.org");
        env.put("certificateArn", "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123");
        env.put("jwtPrivateKeySecretArn", ARN + "jwt-private-key-AbCdEf");
        env.put("jwtPublicKeySecretArn", ARN + "jwt-public-key-AbCdEf");
        env.put("alarmEmail", "oncall@example.org");
        env.put("availabilityZones", List.of("eu-west-1a", "eu-west-1b", "eu-west-1c"));
        env.put("s3PrefixListId", "pl-6da54004");
        return env;
    }

    private static Settings read(String environment, Map<String, Object> settings, Map<String, Object> overrides) {
        Map<String, Object> context = new HashMap<>(overrides);
        context.put("agentidp", Map.of(environment, settings));
        return Settings.read(environment, context::get);
    }

    private static Settings read(Map<String, Object> settings) {
        return read("production", settings, Map.of());
    }

    @Test
    void defaultsFollowTheSeed() {
        Settings settings = read(valid());
        assertThat(settings.desiredCount()).isEqualTo(2);
        assertThat(settings.maxAzs()).isEqualTo(2);
        assertThat(settings.natGateways()).isEqualTo(2);
        assertThat(settings.postgresVersion()).isEqualTo("14");
        // The repository of stack AgentIdp-registry in the environment's own account and region.
        assertThat(settings.imageRepository()).isEqualTo(ECR + "sentryagent/agentidp");
        assertThat(settings.waf()).isTrue();
        assertThat(settings.features())
                .containsEntry("ANALYTICS_ENABLED", "false")
                .containsEntry("BILLING_ENABLED", "false");
    }

    @Test
    void aTopLevelContextValueOverridesTheFile() {
        Map<String, Object> settings = valid();
        settings.put("imageRepository", ECR + "sentryagent/agentidp");
        Settings read =
                read("production", settings, Map.of("imageRepository", ECR + "mirror/agentidp", "desiredCount", "3"));
        assertThat(read.imageRepository()).isEqualTo(ECR + "mirror/agentidp");
        assertThat(read.desiredCount()).isEqualTo(3);
    }

    @Test
    void missingKeysAreNamed() {
        assertThatThrownBy(() -> read(new HashMap<>()))
                .hasMessageContaining("agentidp.production.account is required")
                .hasMessageContaining("agentidp.production.region is required")
                .hasMessageContaining("agentidp.production.domainName is required")
                .hasMessageContaining("agentidp.production.hostedZoneId is required");
        assertThat(read(withoutCertificate()).certificateArn())
                .as("created by the stack")
                .isEmpty();
        assertThatThrownBy(() -> Settings.read("qa", Map.of("agentidp", Map.of())::get))
                .hasMessageContaining("agentidp.qa is missing");
    }

    @Test
    void malformedValuesAreNamed() {
        Map<String, Map.Entry<Object, String>> cases = Map.of(
                "account",
                Map.entry("12345", "agentidp.production.account must be a 12-digit AWS account id"),
                "desiredCount",
                Map.entry(1, "agentidp.production.desiredCount must be between 2 and 100, got 1"),
                "maxAzs",
                Map.entry(4, "agentidp.production.maxAzs must be between 2 and 3"),
                "memoryMiB",
                Map.entry(1000, "agentidp.production.memoryMiB 1000 is not valid with cpu 1024"),
                "postgresVersion",
                Map.entry("9.6", "agentidp.production.postgresVersion must be a PostgreSQL major"),
                "imageRepository",
                Map.entry(
                        ECR + "sentryagent/agentidp:1.0.0",
                        "agentidp.production.imageRepository must be an ECR repository without tag or digest"),
                "cacheNodeType",
                Map.entry("r6g.large", "agentidp.production.cacheNodeType must be a node type"),
                "waf",
                Map.entry("yes", "agentidp.production.waf must be true or false"),
                "desiredCnt",
                Map.entry(3, "agentidp.production.desiredCnt is not a known setting"),
                "logRetentionDays",
                Map.entry(10, "agentidp.production.logRetentionDays must be one of"));
        cases.forEach((key, value) -> {
            Map<String, Object> settings = valid();
            settings.put(key, value.getKey());
            assertThatThrownBy(() -> read(settings)).as(key).hasMessageContaining(value.getValue());
        });
    }

    @Test
    void crossFieldRulesAreChecked() {
        Map<String, Object> settings = valid();
        settings.put("domainName", "idp.other.com");
        assertThatThrownBy(() -> read(settings)).hasMessageContaining("is not inside hostedZoneName");
        settings.put("domainName", "idp.example.org");
        settings.put("certificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/abc");
        assertThatThrownBy(() -> read(settings)).hasMessageContaining("certificateArn must be in region eu-west-1");
        settings.put("certificateArn", "arn:aws:acm:eu-west-1:123456789012:certificate/abc");
        settings.put("natGateways", 3);
        assertThatThrownBy(() -> read(settings)).hasMessageContaining("natGateways (3) must not exceed maxAzs (2)");
        settings.put("natGateways", 1);
        settings.put("maxCount", 2);
        settings.put("desiredCount", 4);
        assertThatThrownBy(() -> read(settings)).hasMessageContaining("maxCount (2) must be at least desiredCount");
    }

    @Test
    void featureFlagsAreCheckedByName() {
        Map<String, Object> settings = valid();
        settings.put("features", Map.of("REDIS_RATE_LIMIT_ENABLED", false));
        assertThat(read(settings).features()).containsEntry("REDIS_RATE_LIMIT_ENABLED", "false");
        // The service refuses to start with a switch this build does not implement (its config Features): synth
        // refuses it first, naming the key.
        for (String refused :
                List.of("ANALYTICS_ENABLED", "TIER_ENFORCEMENT", "COMPLIANCE_ENABLED", "BILLING_ENABLED")) {
            settings.put("features", Map.of(refused, true));
            assertThatThrownBy(() -> read(settings))
                    .as(refused)
                    .hasMessageContaining("agentidp.production.features." + refused + "=true asks for")
                    .hasMessageContaining("does not implement");
        }
        settings.put("features", Map.of("ANALYTICS", true));
        assertThatThrownBy(() -> read(settings)).hasMessageContaining("features.ANALYTICS is not a known flag");
        settings.put("features", Map.of("TIER_ENFORCEMENT", "on"));
        assertThatThrownBy(() -> read(settings))
                .hasMessageContaining("features.TIER_ENFORCEMENT must be true or false");
    }

    @Test
    void environmentNamesAreCheckedAgainstAwsNameLimits() {
        assertThat(Names.of("production").loadBalancer())
                .isEqualTo("sentryagent-agentidp-production")
                .hasSize(31);
        assertThat(Names.of("staging").secret("database-url")).isEqualTo("/sentryagent-agentidp/staging/database-url");
        assertThatThrownBy(() -> Names.of("production-eu"))
                .hasMessageContaining(
                        "load balancer name 'sentryagent-agentidp-production-eu' is 34 characters (limit 32)")
                .hasMessageContaining("target group name");
        assertThatThrownBy(() -> Names.of("a--b")).hasMessageContaining("'--'");
        assertThatThrownBy(() -> Settings.read("Prod", key -> null)).hasMessageContaining("env must be");
    }

    /**
     * ECS fetches task secrets by complete ARN only (aws/aws-cdk issues 18555, 20744): the name alone or a partial
     * ARN (no 6-character suffix) fails synth, naming the key.
     */
    @Test
    void jwtSecretsMustBeCompleteArnsInTheStacksAccountAndRegion() {
        for (String bad : List.of(
                "/sentryagent-agentidp/production/jwt-private-key",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:/sentryagent-agentidp/production/jwt-private-key")) {
            Map<String, Object> settings = valid();
            settings.put("jwtPrivateKeySecretArn", bad);
            assertThatThrownBy(() -> read(settings))
                    .as(bad)
                    .hasMessageContaining("agentidp.production.jwtPrivateKeySecretArn must be the complete ARN");
        }
        Map<String, Object> settings = valid();
        settings.remove("jwtPublicKeySecretArn");
        assertThatThrownBy(() -> read(settings)).hasMessageContaining("jwtPublicKeySecretArn is required");
        settings.put("jwtPublicKeySecretArn", ARN.replace("eu-west-1", "us-east-1") + "jwt-public-key-AbCdEf");
        assertThatThrownBy(() -> read(settings))
                .hasMessageContaining("jwtPublicKeySecretArn must be in account 123456789012 and region eu-west-1");
    }

    /** An alarm topic nobody subscribes to wakes nobody: production needs an e-mail address or a topic. */
    @Test
    void productionAlarmsMustReachAPerson() {
        Map<String, Object> settings = valid();
        settings.remove("alarmEmail");
        assertThatThrownBy(() -> read(settings))
                .hasMessageContaining(
                        "agentidp.production.alarmEmail or agentidp.production.alarmTopicArn is required");
        settings.put("alarmTopicArn", "arn:aws:sns:eu-west-1:123456789012:oncall");
        assertThat(read(settings).alarmTopicArn()).contains("arn:aws:sns:eu-west-1:123456789012:oncall");
        assertThat(read("staging", withoutAlarm(), Map.of()).alarmEmail()).isEmpty();
    }

    private static Map<String, Object> withoutCertificate() {
        Map<String, Object> settings = valid();
        settings.remove("certificateArn");
        return settings;
    }

    private static Map<String, Object> withoutAlarm() {
        Map<String, Object> settings = valid();
        settings.remove("alarmEmail");
        return settings;
    }

    /**
     * Zone names are not derivable from the region (EC2 docs, "Availability Zones": names map to zone ids per
     * account, and some regions have no "b"): outside us-east-1 they must be listed.
     */
    @Test
    void availabilityZonesComeFromContext() {
        Map<String, Object> settings = valid();
        assertThat(read(settings).availabilityZones()).containsExactly("eu-west-1a", "eu-west-1b");
        settings.remove("availabilityZones");
        assertThatThrownBy(() -> read(settings))
                .hasMessageContaining("agentidp.production.availabilityZones is required in eu-west-1");
        settings.put("availabilityZones", List.of("eu-west-1a", "us-east-1b"));
        assertThatThrownBy(() -> read(settings)).hasMessageContaining("us-east-1b is not in region eu-west-1");
        settings.put("availabilityZones", List.of("eu-west-1a"));
        assertThatThrownBy(() -> read(settings)).hasMessageContaining("fewer than maxAzs (2)");
        settings.put("availabilityZones", "eu-west-1a,eu-west-1c");
        assertThat(read(settings).availabilityZones()).containsExactly("eu-west-1a", "eu-west-1c");
        Map<String, Object> east = valid();
        east.put("region", "us-east-1");
        east.put("certificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/abc-123");
        east.put("jwtPrivateKeySecretArn", ARN.replace("eu-west-1", "us-east-1") + "jwt-private-key-AbCdEf");
        east.put("jwtPublicKeySecretArn", ARN.replace("eu-west-1", "us-east-1") + "jwt-public-key-AbCdEf");
        east.remove("availabilityZones");
        east.remove("s3PrefixListId");
        assertThat(read(east).availabilityZones()).containsExactly("us-east-1a", "us-east-1b");
    }

    /**
     * The tasks' egress reaches only the VPC endpoints and S3 (ECS developer guide, "Fargate task networking": the
     * image is pulled through the task ENI), so an image from another registry or region could never be pulled.
     */
    @Test
    void theImageRepositoryMustBeInEcrInTheStacksRegion() {
        for (String repository : List.of(
                "docker.io/sentryagent/agentidp",
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/sentryagent/agentidp")) {
            Map<String, Object> settings = valid();
            settings.put("imageRepository", repository);
            assertThatThrownBy(() -> read(settings))
                    .as(repository)
                    .hasMessageContaining("agentidp.production.imageRepository must be an ECR repository in eu-west-1");
        }
    }

    /**
     * The removed tag setting is named on its own, in the file and on the command line: a mutable tag is what the
     * stacks must never deploy again (issue 14); the digest comes from deploy/image.json only.
     */
    @Test
    void aTagIsRefusedNamingTheKey() {
        Map<String, Object> settings = valid();
        settings.put("image", ECR + "sentryagent/agentidp:1.0.0");
        assertThatThrownBy(() -> read(settings))
                .hasMessageContaining("agentidp.production.image is no longer read")
                .hasMessageContaining("deploy/image.json");
        assertThatThrownBy(() -> read("production", valid(), Map.of("image", ECR + "sentryagent/agentidp:1.2.3")))
                .hasMessageContaining("agentidp.production.image is no longer read");
    }

    /**
     * deploy/image.json must hold an OCI digest (image spec, descriptor.md "Digests": sha256 and 64 lowercase hex
     * characters); a tag or anything else fails synth naming the file and the key.
     */
    @Test
    void aMalformedDigestRecordFailsNamingTheFile() throws java.io.IOException {
        java.nio.file.Path root = java.nio.file.Files.createTempDirectory("image-record");
        java.nio.file.Files.createDirectories(root.resolve("deploy"));
        String revision = "a".repeat(40);
        for (var bad : Map.of(
                        "{\"version\":\"1\",\"revision\":\"" + revision + "\",\"digest\":\"1.0.0\"}",
                        "deploy/image.json: digest must be sha256:<64 lowercase hex digits>",
                        "{\"version\":\"1\",\"revision\":\"" + revision + "\",\"digest\":\"sha256:" + "A".repeat(64)
                                + "\"}",
                        "deploy/image.json: digest must be sha256:<64 lowercase hex digits>",
                        "{\"version\":\"1\",\"revision\":\"main\"}",
                        "deploy/image.json: digest is required")
                .entrySet()) {
            java.nio.file.Files.writeString(root.resolve("deploy/image.json"), bad.getKey());
            assertThatThrownBy(() -> DeployedImage.read(root)).as(bad.getKey()).hasMessageContaining(bad.getValue());
        }
        java.nio.file.Files.delete(root.resolve("deploy/image.json"));
        assertThatThrownBy(() -> DeployedImage.read(root)).hasMessageContaining("deploy/image.json is missing");
    }

    /** ECS Exec is off unless switched on; the S3 prefix list has a us-east-1 default and is required elsewhere. */
    @Test
    void ecsExecIsOffByDefaultAndThePrefixListIsNamed() {
        assertThat(read(valid()).ecsExec()).isFalse();
        Map<String, Object> settings = valid();
        settings.remove("s3PrefixListId");
        assertThatThrownBy(() -> read(settings)).hasMessageContaining("agentidp.production.s3PrefixListId is required");
        settings.put("s3PrefixListId", "sg-123");
        assertThatThrownBy(() -> read(settings))
                .hasMessageContaining("s3PrefixListId must be the id of the region's S3");
    }

    /** The audit stream needs both the brokers and their credentials: one without the other cannot connect. */
    @Test
    void kafkaBrokersAndCredentialsGoTogetherAndTheArnIsComplete() {
        Map<String, Object> brokersOnly = valid();
        brokersOnly.put("kafkaBrokers", "b-1.kafka.example.org:9096");
        assertThatThrownBy(() -> read(brokersOnly))
                .hasMessageContaining("agentidp.production.kafkaBrokers and kafkaCredentialsSecretArn go together");
        Map<String, Object> partialArn = valid();
        partialArn.put("kafkaBrokers", "b-1.kafka.example.org:9096");
        // A partial ARN (no 6-character suffix): ECS refuses it at task start (aws-cdk issues 18555, 20744).
        partialArn.put("kafkaCredentialsSecretArn", ARN + "kafka");
        assertThatThrownBy(() -> read(partialArn))
                .hasMessageContaining("agentidp.production.kafkaCredentialsSecretArn");
        Map<String, Object> otherRegion = valid();
        otherRegion.put("kafkaBrokers", "b-1.kafka.example.org:9096");
        otherRegion.put(
                "kafkaCredentialsSecretArn",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:/sentryagent-agentidp/p/kafka-AbCdEf");
        assertThatThrownBy(() -> read(otherRegion))
                .hasMessageContaining("kafkaCredentialsSecretArn must be in account 123456789012 and region eu-west-1");
        Map<String, Object> both = valid();
        both.put("kafkaBrokers", "b-1.kafka.example.org:9096,b-2.kafka.example.org:9094,b-3.kafka.example.org:9096");
        both.put("kafkaCredentialsSecretArn", ARN + "kafka-AbCdEf");
        Settings.Kafka kafka = read(both).kafka().orElseThrow();
        assertThat(kafka.ports()).containsExactly(9094, 9096);
        assertThat(read(valid()).kafka()).isEmpty();
    }

    @Test
    void databaseIdentitySettingsAreValidated() {
        assertThat(read(valid()).database()).isEqualTo(new Settings.DatabaseIdentity(Optional.empty(), false));
        Map<String, Object> bad = valid();
        bad.put("databaseCaBundleFile", "certs/rds bundle.txt");
        bad.put("databaseBootstrap", "sometimes");
        assertThatThrownBy(() -> read(bad))
                .hasMessageContaining("agentidp.production.databaseCaBundleFile must be a repository-relative path")
                .hasMessageContaining("agentidp.production.databaseBootstrap must be true or false");
    }
}
