package ai.sentryagent.agentidp.infra.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The RDS CA bundle each environment hands the service (DATABASE_CA_CERT, sslmode=verify-full). RDS signs a DB
 * instance's server certificate with the CA the instance is set to ({@code Database} sets rds-ca-rsa2048-g1), under
 * that region's root ("Using SSL/TLS to encrypt a connection to a DB instance", RDS user guide: the per-region
 * bundles hold the region's RSA2048, RSA4096 and ECC384 G1 roots). A bundle of another region, a Beta root, an
 * expired 2019 CA or a leaf certificate would make every connection fail at the handshake after a deploy.
 */
class RdsCaBundleTest {
    @Test
    void everyEnvironmentTrustsItsRegionsCurrentRdsRootsAndNothingElse() throws Exception {
        Path root = CdkContext.repositoryRoot();
        JsonNode environments = new ObjectMapper()
                .readTree(root.resolve("cdk.json").toFile())
                .path("context")
                .path("agentidp");
        assertThat(environments.size()).isPositive();
        for (Map.Entry<String, JsonNode> env : (Iterable<Map.Entry<String, JsonNode>>) environments::fields) {
            String region = env.getValue().path("region").asText();
            String file = env.getValue().path("databaseCaBundleFile").asText(null);
            assertThat(file).as(env.getKey() + ": databaseCaBundleFile").isNotNull();
            List<X509Certificate> certificates;
            try (InputStream in = Files.newInputStream(root.resolve(file))) {
                certificates = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                        .map(X509Certificate.class::cast)
                        .toList();
            }
            assertThat(certificates)
                    .as(env.getKey())
                    .extracting(c -> c.getSubjectX500Principal().getName())
                    .allSatisfy(subject -> assertThat(subject)
                            .contains("CN=Amazon RDS " + region + " Root CA ")
                            .contains("OU=Amazon RDS"))
                    .anySatisfy(subject -> assertThat(subject).contains("Root CA RSA2048 G1"));
            Date inAYear = Date.from(Instant.now().plus(365, ChronoUnit.DAYS));
            for (X509Certificate ca : certificates) {
                // A root: self-issued, a CA (basicConstraints), valid now and for at least another year.
                assertThat(ca.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
                assertThat(ca.getBasicConstraints()).as("basicConstraints CA").isGreaterThanOrEqualTo(0);
                ca.checkValidity();
                ca.checkValidity(inAYear);
                ca.verify(ca.getPublicKey());
            }
        }
    }
}
