package ai.sentryagent.agentidp.infra.gcp;

import static ai.sentryagent.agentidp.infra.gcp.ProgramRun.list;
import static ai.sentryagent.agentidp.infra.gcp.ProgramRun.map;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.infra.gcp.GcpMocks.Registration;
import com.pulumi.test.PulumiTest;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The GCP front door against the provider's documented rules: load balancer pieces, the managed certificate, the
 * Cloud Armor policy's rule shapes, the redirect and the DNS record.
 */
class FrontDoorTest {
    private static ProgramRun run;

    @BeforeAll
    static void run() {
        run = ProgramRun.of(GcpProgramTest.config("production", Map.of()));
    }

    @AfterAll
    static void cleanup() {
        PulumiTest.cleanup();
    }

    /**
     * Serverless NEG (Compute API RegionNetworkEndpointGroup): type SERVERLESS, in the service's region, naming the
     * Cloud Run service by name — not its URL.
     */
    @Test
    void theServerlessNegNamesTheCloudRunServiceInItsRegion() {
        assertThat(run.inputs("gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup"))
                .containsEntry("networkEndpointType", "SERVERLESS")
                .containsEntry("region", "us-central1")
                .containsEntry("cloudRun", Map.of("service", "sentryagent-agentidp-production"));
    }

    /**
     * A serverless NEG backend takes no health check, port name or timeout ("Serverless network endpoint groups
     * overview", limitations); the global external Application Load Balancer is EXTERNAL_MANAGED, and the Cloud
     * Armor policy is attached to the backend service.
     */
    @Test
    void theBackendIsExternalManagedWithoutHealthChecksAndCarriesTheArmorPolicy() {
        Map<String, Object> backend = run.inputs("gcp:compute/backendService:BackendService");
        assertThat(backend)
                .containsEntry("loadBalancingScheme", "EXTERNAL_MANAGED")
                .doesNotContainKeys("healthChecks", "portName", "timeoutSec")
                .containsEntry(
                        "securityPolicy",
                        "https://www.googleapis.com/compute/v1/projects/my-gcp-project-id/global/securityPolicies/"
                                + "sentryagent-agentidp-production-armor");
        assertThat(list(backend.get("backends")))
                .containsExactly(Map.of(
                        "group",
                        "projects/my-gcp-project-id/regions/us-central1/networkEndpointGroups/"
                                + "sentryagent-agentidp-production-neg"));
        assertThat(map(backend.get("logConfig"))).containsEntry("enable", true);
    }

    /**
     * Google-managed certificates: at most 100 domains, no wildcard, each a fully qualified name of at most 253
     * characters; resource names at most 63 characters (RFC 1035).
     */
    @Test
    void theManagedCertificateCoversExactlyTheIssuersDomain() {
        Map<String, Object> cert = run.inputs("gcp:compute/managedSslCertificate:ManagedSslCertificate");
        List<Object> domains = list(map(cert.get("managed")).get("domains"));
        assertThat(domains).containsExactly("idp-gcp.example.com").hasSizeLessThanOrEqualTo(100);
        assertThat(domains)
                .allSatisfy(
                        d -> assertThat(String.valueOf(d)).doesNotContain("*").hasSizeLessThanOrEqualTo(253));
        assertThat(String.valueOf(cert.get("name")))
                .hasSizeLessThanOrEqualTo(63)
                .matches("[a-z]([-a-z0-9]*[a-z0-9])?");
        assertThat(run.inputs("gcp:compute/targetHttpsProxy:TargetHttpsProxy"))
                .containsEntry(
                        "sslCertificates",
                        List.of("projects/my-gcp-project-id/global/sslCertificates/" + cert.get("name")));
        assertThat(run.inputs("gcp:compute/sSLPolicy:SSLPolicy")).containsEntry("minTlsVersion", "TLS_1_2");
        // The issuer is the certificate's domain.
        assertThat(run.outputs()).containsEntry("service_url", "https://" + domains.get(0));
    }

    /** Both forwarding rules on the one reserved address; port 80 answers only with a redirect to HTTPS. */
    @Test
    void httpsServesAndHttpRedirects() {
        Map<String, Map<String, Object>> rules =
                run.mocks().ofType("gcp:compute/globalForwardingRule:GlobalForwardingRule").stream()
                        .collect(Collectors.toMap(
                                r -> String.valueOf(r.inputs().get("portRange")), Registration::inputs));
        assertThat(rules.keySet()).containsExactlyInAnyOrder("443", "80");
        assertThat(rules.values())
                .allSatisfy(rule -> assertThat(rule)
                        .containsEntry("ipAddress", GcpMocks.LB_IP)
                        .containsEntry("loadBalancingScheme", "EXTERNAL_MANAGED"));
        assertThat(rules.get("443"))
                .containsEntry(
                        "target",
                        "projects/my-gcp-project-id/global/targetHttpsProxies/sentryagent-agentidp-production-https-proxy");
        assertThat(rules.get("80"))
                .containsEntry(
                        "target",
                        "projects/my-gcp-project-id/global/targetHttpProxies/sentryagent-agentidp-production-http-proxy");
        Map<String, Map<String, Object>> maps = run.mocks().ofType("gcp:compute/uRLMap:URLMap").stream()
                .collect(Collectors.toMap(r -> String.valueOf(r.inputs().get("name")), Registration::inputs));
        assertThat(maps.get("sentryagent-agentidp-production-redirect"))
                .doesNotContainKey("defaultService")
                .containsEntry(
                        "defaultUrlRedirect",
                        Map.of(
                                "httpsRedirect",
                                true,
                                "redirectResponseCode",
                                "MOVED_PERMANENTLY_DEFAULT",
                                "stripQuery",
                                false));
        // Compute Engine names: at most 63 characters.
        for (String type : List.of(
                "gcp:compute/globalForwardingRule:GlobalForwardingRule",
                "gcp:compute/uRLMap:URLMap",
                "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
                "gcp:compute/targetHttpProxy:TargetHttpProxy",
                "gcp:compute/backendService:BackendService",
                "gcp:compute/securityPolicy:SecurityPolicy")) {
            assertThat(run.mocks().ofType(type))
                    .allSatisfy(r ->
                            assertThat(String.valueOf(r.inputs().get("name"))).hasSizeLessThanOrEqualTo(63));
        }
    }

    /** Cloud DNS record sets are absolute names (trailing dot) and point at the load balancer's address. */
    @Test
    void theARecordPointsAtTheLoadBalancer() {
        assertThat(run.inputs("gcp:dns/recordSet:RecordSet"))
                .containsEntry("managedZone", "example-com")
                .containsEntry("name", "idp-gcp.example.com.")
                .containsEntry("type", "A")
                .containsEntry("rrdatas", List.of(GcpMocks.LB_IP));
    }

    @Test
    void withoutAZoneThereIsNoRecordButTheAddressIsExported() {
        PulumiTest.cleanup();
        ProgramRun withoutZone = ProgramRun.of(GcpProgramTest.config("production", Map.of("agentidp:dnsZone", "")));
        assertThat(withoutZone.mocks().ofType("gcp:dns/recordSet:RecordSet")).isEmpty();
        assertThat(withoutZone.outputs()).containsEntry("load_balancer_ip", GcpMocks.LB_IP);
    }

    private static List<Map<String, Object>> armorRules() {
        return list(run.inputs("gcp:compute/securityPolicy:SecurityPolicy").get("rules")).stream()
                .map(ProgramRun::map)
                .toList();
    }

    /**
     * Cloud Armor security policies: priorities unique, and a default rule at 2147483647 matching every source
     * ("*", versionedExpr SRC_IPS_V1) must exist.
     */
    @Test
    void armorPrioritiesAreUniqueAndTheDefaultRuleExists() {
        List<Map<String, Object>> rules = armorRules();
        Set<Object> priorities = new HashSet<>();
        rules.forEach(rule -> assertThat(priorities.add(rule.get("priority")))
                .as("priority %s", rule.get("priority"))
                .isTrue());
        assertThat(rules)
                .anySatisfy(rule -> assertThat(rule)
                        .containsEntry("priority", 2147483647.0)
                        .containsEntry("action", "allow")
                        .containsEntry(
                                "match",
                                Map.of("versionedExpr", "SRC_IPS_V1", "config", Map.of("srcIpRanges", List.of("*")))));
        assertThat(run.inputs("gcp:compute/securityPolicy:SecurityPolicy")).containsEntry("type", "CLOUD_ARMOR");
    }

    /**
     * Preconfigured WAF rules are named &lt;family&gt;-v33-stable (Cloud Armor, "Tune preconfigured WAF rules") and used
     * through evaluatePreconfiguredWaf; they come before the rate-limit rule, because the first matching rule ends
     * evaluation and a request under the limit is allowed by it.
     */
    @Test
    void theOwaspRulesDenyAndComeBeforeTheRateLimit() {
        List<Map<String, Object>> waf = armorRules().stream()
                .filter(rule -> expression(rule).startsWith("evaluatePreconfiguredWaf("))
                .toList();
        Set<String> families = waf.stream()
                .map(rule -> expression(rule).replaceAll("evaluatePreconfiguredWaf\\('([a-z]+)-v33-stable'.*", "$1"))
                .collect(Collectors.toSet());
        assertThat(families).contains("sqli", "xss", "lfi", "rfi", "rce", "protocolattack", "scannerdetection");
        assertThat(waf).allSatisfy(rule -> {
            assertThat(expression(rule))
                    .matches("evaluatePreconfiguredWaf\\('[a-z]+-v33-stable', \\{'sensitivity': [1-4]\\}\\)");
            assertThat(rule.get("action")).isEqualTo("deny(403)");
            assertThat((Double) rule.get("priority")).isLessThan(FrontDoor.RATE_LIMIT_PRIORITY);
        });
    }

    /**
     * The rate-based ban's shape (Compute API SecurityPolicyRuleRateLimitOptions; Cloud Armor, "Rate limiting
     * overview"): conformAction only "allow"; exceedAction deny(403|404|429|502); enforceOnKey IP; threshold count 1 to
     * 10,000; intervalSec and banDurationSec one of 10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600.
     */
    @Test
    void theTokenEndpointHasAPerAddressRateBasedBan() {
        Map<String, Object> rule = armorRules().stream()
                .filter(r -> "rate_based_ban".equals(r.get("action")))
                .findFirst()
                .orElseThrow();
        assertThat(expression(rule)).isEqualTo("request.method == 'POST' && request.path == '/api/v1/token'");
        Map<String, Object> options = map(rule.get("rateLimitOptions"));
        List<Double> intervals =
                List.of(10.0, 30.0, 60.0, 120.0, 180.0, 240.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0, 3600.0);
        assertThat(options)
                .containsEntry("conformAction", "allow")
                .containsEntry("enforceOnKey", "IP")
                .containsEntry("exceedAction", "deny(429)");
        assertThat(String.valueOf(options.get("exceedAction"))).matches("deny\\((403|404|429|502)\\)");
        Map<String, Object> threshold = map(options.get("rateLimitThreshold"));
        assertThat((Double) threshold.get("count")).isBetween(1.0, 10_000.0).isEqualTo(300.0);
        assertThat(intervals).contains((Double) threshold.get("intervalSec"), (Double) options.get("banDurationSec"));
    }

    /** /metrics is internal (docs/operations.md, "Metrics"): the sidecar scrapes it inside the instance. */
    @Test
    void metricsAreNotServedThroughTheLoadBalancer() {
        assertThat(armorRules()).anySatisfy(rule -> {
            assertThat(expression(rule)).contains("startsWith('/metrics')");
            assertThat(rule.get("action")).isEqualTo("deny(404)");
            assertThat((Double) rule.get("priority")).isLessThan(FrontDoor.WAF_PRIORITY);
        });
    }

    private static String expression(Map<String, Object> rule) {
        Object expr = map(rule.get("match")).get("expr");
        return expr == null ? "" : String.valueOf(map(expr).get("expression"));
    }
}
