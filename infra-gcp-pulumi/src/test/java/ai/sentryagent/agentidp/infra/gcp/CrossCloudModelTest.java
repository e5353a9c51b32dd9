package ai.sentryagent.agentidp.infra.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The cross-cloud model (docs/deployment.md): each cloud is its own issuer with its own signing key. A resource
 * server that trusts one issuer must never accept a token the other cloud minted for a client it registered
 * (RFC 9068 §4: a resource server validates {@code iss} against the issuer it expects; RFC 8725 §3.8: validate the
 * issuer and use keys bound to it) — with one shared issuer and key it would, since each cloud has its own client
 * registry. These tests read both committed configurations.
 */
class CrossCloudModelTest {
    static final Path CDK_JSON = Path.of("..", "cdk.json");
    private static final Pattern DOMAIN_NAME = Pattern.compile("\"domainName\"\\s*:\\s*\"([^\"]+)\"");

    static List<String> awsDomains() throws IOException {
        Matcher m = DOMAIN_NAME.matcher(Files.readString(CDK_JSON));
        List<String> domains = new ArrayList<>();
        while (m.find()) {
            domains.add(m.group(1));
        }
        return domains;
    }

    @Test
    void theCommittedGcpIssuerIsNoAwsIssuer() throws IOException {
        List<String> aws = awsDomains();
        assertThat(aws).as("cdk.json's environments").isNotEmpty();
        GcpConfig gcp = GcpConfig.parse(
                StackFile.image(),
                "production",
                key -> Optional.ofNullable(StackFile.production().get(key)),
                null);
        assertThat(aws).doesNotContain(gcp.domain());
        assertThat(aws.stream().map(d -> "https://" + d)).doesNotContain(gcp.issuerUrl());
    }

    /** The preview-time refusal compares against the real AWS issuer, not a stale copy. */
    @Test
    void theRefusalIsWiredToTheAwsProductionIssuer() throws IOException {
        String awsProduction = awsDomains().get(0);
        assertThat(StackFile.production()).containsEntry("agentidp:awsIssuerUrl", "https://" + awsProduction);
    }

    @Test
    void aGcpStackThatSharesTheAwsIssuerIsRefusedAtPreview() throws IOException {
        Map<String, String> values = StackFile.production();
        values.put("agentidp:domain", awsDomains().get(0));
        assertThatThrownBy(() ->
                        GcpConfig.parse(StackFile.image(), "production", k -> Optional.ofNullable(values.get(k)), null))
                .hasMessageContaining("agentidp:domain " + awsDomains().get(0) + " is the AWS environment's issuer")
                .hasMessageContaining("its own signing key");
        // A trailing slash is the same issuer (RFC 8414 §2: the issuer is compared as a string, so operators write
        // it both ways).
        values.put("agentidp:awsIssuerUrl", "https://" + awsDomains().get(0) + "/");
        assertThatThrownBy(() ->
                        GcpConfig.parse(StackFile.image(), "production", k -> Optional.ofNullable(values.get(k)), null))
                .hasMessageContaining("is the AWS environment's issuer");
    }

    /**
     * The signing keys: each cloud's pair lives only in that cloud's secret store, created by its own keygen run.
     * The GCP stack file must not point at the AWS key (a copy of the AWS secret's ARN or name in it would mean the
     * pair was shared by hand).
     */
    @Test
    void theGcpStackDoesNotReferToTheAwsSigningKey() throws IOException {
        String stackFile = Files.readString(StackFile.PRODUCTION);
        assertThat(stackFile).doesNotContain("arn:aws:secretsmanager").doesNotContain("/sentryagent-agentidp/");
        assertThat(Files.readString(CDK_JSON)).doesNotContain("agentidp:jwtPrivateKey");
    }
}
