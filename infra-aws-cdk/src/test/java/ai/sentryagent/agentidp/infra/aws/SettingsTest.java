package ai.sentryagent.agentidp.infra.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reading cdk.json context: defaults, overrides and every error path, each naming its key. */
class SettingsTest {
    private static Map<String, Object> valid() {
        Map<String, Object> env = new HashMap<>();
        env.put("account", "123456789012");
        env.put("region", "eu-west-1");
        env.put("domainName", "idp.example.org");
        env.put("hostedZoneId", "Z0ABCDEF");
        env.put("hostedZoneName", "example.org");
        env.put("certificateArn", "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123");
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
        assertThat(settings.image()).isEmpty();
        assertThat(settings.waf()).isTrue();
        assertThat(settings.features())
                .containsEntry("ANALYTICS_ENABLED", "false")
                .containsEntry("BILLING_ENABLED", "false");
    }

    @Test
    void aTopLevelContextValueOverridesTheFile() {
        Map<String, Object> settings = valid();
        settings.put("image", "repo/agentidp:1.0.0");
        Settings read = read("production", settings, Map.of("image", "repo/agentidp:1.2.3", "desiredCount", "3"));
        assertThat(read.image()).isEqualTo(Optional.of("repo/agentidp:1.2.3"));
        assertThat(read.desiredCount()).isEqualTo(3);
    }

    @Test
    void missingKeysAreNamed() {
        assertThatThrownBy(() -> read(new HashMap<>()))
                .hasMessageContaining("agentidp.production.account is required")
                .hasMessageContaining("agentidp.production.region is required")
                .hasMessageContaining("agentidp.production.domainName is required")
                .hasMessageContaining("agentidp.production.hostedZoneId is required")
                .hasMessageContaining("agentidp.production.certificateArn is required");
        assertThatThrownBy(() -> Settings.read("qa", Map.of("agentidp", Map.of())::get))
                .hasMessageContaining("agentidp.qa is missing");
    }

    @Test
    void malformedValuesAreNamed() {
        Map<String, Map.Entry<Object, String>> cases = Map.of(
                "account", Map.entry("12345", "agentidp.production.account must be a 12-digit AWS account id"),
                "desiredCount", Map.entry(1, "agentidp.production.desiredCount must be between 2 and 100, got 1"),
                "maxAzs", Map.entry(4, "agentidp.production.maxAzs must be between 2 and 3"),
                "memoryMiB", Map.entry(1000, "agentidp.production.memoryMiB 1000 is not valid with cpu 1024"),
                "postgresVersion", Map.entry("9.6", "agentidp.production.postgresVersion must be a PostgreSQL major"),
                "image", Map.entry("no tag here", "agentidp.production.image must be <repository>:<tag>"),
                "cacheNodeType", Map.entry("r6g.large", "agentidp.production.cacheNodeType must be a node type"),
                "waf", Map.entry("yes", "agentidp.production.waf must be true or false"),
                "desiredCnt", Map.entry(3, "agentidp.production.desiredCnt is not a known setting"),
                "logRetentionDays", Map.entry(10, "agentidp.production.logRetentionDays must be one of"));
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
        settings.put("features", Map.of("ANALYTICS_ENABLED", true));
        assertThat(read(settings).features()).containsEntry("ANALYTICS_ENABLED", "true");
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
}
