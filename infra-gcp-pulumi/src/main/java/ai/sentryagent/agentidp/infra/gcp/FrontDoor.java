package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.core.Output;
import com.pulumi.gcp.compute.BackendService;
import com.pulumi.gcp.compute.BackendServiceArgs;
import com.pulumi.gcp.compute.GlobalAddress;
import com.pulumi.gcp.compute.GlobalAddressArgs;
import com.pulumi.gcp.compute.GlobalForwardingRule;
import com.pulumi.gcp.compute.GlobalForwardingRuleArgs;
import com.pulumi.gcp.compute.ManagedSslCertificate;
import com.pulumi.gcp.compute.ManagedSslCertificateArgs;
import com.pulumi.gcp.compute.RegionNetworkEndpointGroup;
import com.pulumi.gcp.compute.RegionNetworkEndpointGroupArgs;
import com.pulumi.gcp.compute.SSLPolicy;
import com.pulumi.gcp.compute.SSLPolicyArgs;
import com.pulumi.gcp.compute.SecurityPolicy;
import com.pulumi.gcp.compute.SecurityPolicyArgs;
import com.pulumi.gcp.compute.TargetHttpProxy;
import com.pulumi.gcp.compute.TargetHttpProxyArgs;
import com.pulumi.gcp.compute.TargetHttpsProxy;
import com.pulumi.gcp.compute.TargetHttpsProxyArgs;
import com.pulumi.gcp.compute.URLMap;
import com.pulumi.gcp.compute.URLMapArgs;
import com.pulumi.gcp.compute.inputs.BackendServiceBackendArgs;
import com.pulumi.gcp.compute.inputs.BackendServiceLogConfigArgs;
import com.pulumi.gcp.compute.inputs.ManagedSslCertificateManagedArgs;
import com.pulumi.gcp.compute.inputs.RegionNetworkEndpointGroupCloudRunArgs;
import com.pulumi.gcp.compute.inputs.SecurityPolicyAdvancedOptionsConfigArgs;
import com.pulumi.gcp.compute.inputs.SecurityPolicyRuleArgs;
import com.pulumi.gcp.compute.inputs.SecurityPolicyRuleMatchArgs;
import com.pulumi.gcp.compute.inputs.SecurityPolicyRuleMatchConfigArgs;
import com.pulumi.gcp.compute.inputs.SecurityPolicyRuleMatchExprArgs;
import com.pulumi.gcp.compute.inputs.SecurityPolicyRuleRateLimitOptionsArgs;
import com.pulumi.gcp.compute.inputs.SecurityPolicyRuleRateLimitOptionsRateLimitThresholdArgs;
import com.pulumi.gcp.compute.inputs.URLMapDefaultUrlRedirectArgs;
import com.pulumi.gcp.dns.RecordSet;
import com.pulumi.gcp.dns.RecordSetArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The public entry point, like the AWS stack's ALB + WAF: a global external Application Load Balancer
 * ({@code EXTERNAL_MANAGED}) on a reserved address, a Google-managed certificate for {@code agentidp:domain}, TLS 1.2
 * or newer, HTTP answered with a redirect to HTTPS, the Cloud Run service behind a serverless NEG, and a Cloud Armor
 * policy on the backend: the preconfigured OWASP rules, a per-address rate-based ban on {@code POST /api/v1/token},
 * and {@code /metrics} kept internal. An A record in Cloud DNS when {@code agentidp:dnsZone} is set.
 */
public final class FrontDoor extends ComponentResource {
    static final String TOKEN_PATH = "/api/v1/token";

    /**
     * Cloud Armor's preconfigured WAF rules on ModSecurity CRS 3.3 (Cloud Armor, "Tune preconfigured WAF rules"),
     * at sensitivity 1, the level with the fewest false positives: form-encoded client credentials and JSON bodies
     * must pass, injection attempts must not.
     */
    static final List<String> OWASP_RULES = List.of(
            "sqli-v33-stable",
            "xss-v33-stable",
            "lfi-v33-stable",
            "rfi-v33-stable",
            "rce-v33-stable",
            "methodenforcement-v33-stable",
            "scannerdetection-v33-stable",
            "protocolattack-v33-stable",
            "sessionfixation-v33-stable",
            "java-v33-stable");

    static final int METRICS_PRIORITY = 900;
    static final int WAF_PRIORITY = 1000;
    static final int RATE_LIMIT_PRIORITY = 2000;
    /** The default rule's priority (Cloud Armor: the lowest, 2147483647, must exist and match every address). */
    static final int DEFAULT_PRIORITY = Integer.MAX_VALUE;

    static final int RATE_LIMIT_INTERVAL_SEC = 60;
    static final int BAN_DURATION_SEC = 300;

    private final GlobalAddress address;

    public FrontDoor(String name, GcpConfig config, Output<String> cloudRunService, List<Resource> apis) {
        super("agentidp:gcp:FrontDoor", name, ComponentResourceOptions.builder().build());
        Names names = config.names();
        CustomResourceOptions child =
                CustomResourceOptions.builder().parent(this).dependsOn(apis).build();

        this.address = new GlobalAddress(
                name + "-ip",
                GlobalAddressArgs.builder()
                        .name(names.frontDoor("ip"))
                        .project(config.project())
                        .addressType("EXTERNAL")
                        .ipVersion("IPV4")
                        .build(),
                CustomResourceOptions.builder()
                        .parent(this)
                        .dependsOn(apis)
                        // The DNS record points at it: a new address would be an outage until DNS caught up.
                        .protect(true)
                        .build());

        // A managed certificate cannot change its domains in place: the name carries the domain's hash, so a new
        // domain creates a new certificate before the proxy lets go of the old one.
        ManagedSslCertificate certificate = new ManagedSslCertificate(
                name + "-cert",
                ManagedSslCertificateArgs.builder()
                        .name(names.frontDoor("cert-" + hash(config.domain())))
                        .project(config.project())
                        .type("MANAGED")
                        .managed(ManagedSslCertificateManagedArgs.builder()
                                .domains(List.of(config.domain()))
                                .build())
                        .build(),
                child);

        SSLPolicy tls = new SSLPolicy(
                name + "-tls",
                SSLPolicyArgs.builder()
                        .name(names.frontDoor("tls"))
                        .project(config.project())
                        .profile("MODERN")
                        .minTlsVersion("TLS_1_2")
                        .build(),
                child);

        RegionNetworkEndpointGroup neg = new RegionNetworkEndpointGroup(
                name + "-neg",
                RegionNetworkEndpointGroupArgs.builder()
                        .name(names.frontDoor("neg"))
                        .project(config.project())
                        .region(config.region())
                        .networkEndpointType("SERVERLESS")
                        .cloudRun(RegionNetworkEndpointGroupCloudRunArgs.builder()
                                .service(cloudRunService)
                                .build())
                        .build(),
                child);

        SecurityPolicy armor = new SecurityPolicy(
                name + "-armor",
                SecurityPolicyArgs.builder()
                        .name(names.frontDoor("armor"))
                        .project(config.project())
                        .type("CLOUD_ARMOR")
                        .description(
                                "AgentIdP " + config.stack() + ": OWASP rules, token rate limit, /metrics internal")
                        .advancedOptionsConfig(SecurityPolicyAdvancedOptionsConfigArgs.builder()
                                // The management API takes JSON: let the WAF rules inspect its fields.
                                .jsonParsing("STANDARD")
                                .build())
                        .rules(rules(config.tokenRateLimitPerMinute()))
                        .build(),
                child);

        // No health check, port name or timeout: a serverless NEG backend accepts none of them (Cloud Load
        // Balancing, "Serverless network endpoint groups overview": limitations).
        BackendService backend = new BackendService(
                name + "-backend",
                BackendServiceArgs.builder()
                        .name(names.frontDoor("backend"))
                        .project(config.project())
                        .loadBalancingScheme("EXTERNAL_MANAGED")
                        .protocol("HTTPS")
                        .backends(List.of(BackendServiceBackendArgs.builder()
                                .group(neg.id())
                                .build()))
                        .securityPolicy(armor.selfLink())
                        .logConfig(BackendServiceLogConfigArgs.builder()
                                .enable(true)
                                .sampleRate(1.0)
                                .build())
                        .build(),
                child);

        URLMap urlMap = new URLMap(
                name + "-urlmap",
                URLMapArgs.builder()
                        .name(names.frontDoor("urlmap"))
                        .project(config.project())
                        .defaultService(backend.id())
                        .build(),
                child);
        TargetHttpsProxy httpsProxy = new TargetHttpsProxy(
                name + "-https-proxy",
                TargetHttpsProxyArgs.builder()
                        .name(names.frontDoor("https-proxy"))
                        .project(config.project())
                        .urlMap(urlMap.id())
                        .sslCertificates(certificate.id().applyValue(List::of))
                        .sslPolicy(tls.id())
                        .build(),
                child);
        new GlobalForwardingRule(
                name + "-https",
                GlobalForwardingRuleArgs.builder()
                        .name(names.frontDoor("https"))
                        .project(config.project())
                        .loadBalancingScheme("EXTERNAL_MANAGED")
                        .ipProtocol("TCP")
                        .portRange("443")
                        .ipAddress(address.address())
                        .target(httpsProxy.id())
                        .labels(Map.of("project", Names.PROJECT, "stack", config.stack()))
                        .build(),
                child);

        // Port 80 only redirects: no request reaches the service in clear text (like the ALB's HTTP listener).
        URLMap redirect = new URLMap(
                name + "-redirect",
                URLMapArgs.builder()
                        .name(names.frontDoor("redirect"))
                        .project(config.project())
                        .defaultUrlRedirect(URLMapDefaultUrlRedirectArgs.builder()
                                .httpsRedirect(true)
                                .redirectResponseCode("MOVED_PERMANENTLY_DEFAULT")
                                .stripQuery(false)
                                .build())
                        .build(),
                child);
        TargetHttpProxy httpProxy = new TargetHttpProxy(
                name + "-http-proxy",
                TargetHttpProxyArgs.builder()
                        .name(names.frontDoor("http-proxy"))
                        .project(config.project())
                        .urlMap(redirect.id())
                        .build(),
                child);
        new GlobalForwardingRule(
                name + "-http",
                GlobalForwardingRuleArgs.builder()
                        .name(names.frontDoor("http"))
                        .project(config.project())
                        .loadBalancingScheme("EXTERNAL_MANAGED")
                        .ipProtocol("TCP")
                        .portRange("80")
                        .ipAddress(address.address())
                        .target(httpProxy.id())
                        .labels(Map.of("project", Names.PROJECT, "stack", config.stack()))
                        .build(),
                child);

        config.dnsZone()
                .ifPresent(zone -> new RecordSet(
                        name + "-a",
                        RecordSetArgs.builder()
                                .project(config.project())
                                .managedZone(zone)
                                // Cloud DNS names are absolute: the trailing dot is required.
                                .name(config.domain() + ".")
                                .type("A")
                                .ttl(300)
                                .rrdatas(address.address().applyValue(List::of))
                                .build(),
                        child));
        registerOutputs(Map.of("address", address.address()));
    }

    /**
     * The policy's rules, first match wins (Cloud Armor evaluates by priority and stops at the first match): the
     * WAF rules come before the rate limit, because a request under the limit is {@code allow}ed by that rule and
     * would skip every rule after it.
     */
    static List<SecurityPolicyRuleArgs> rules(int tokenRateLimitPerMinute) {
        List<SecurityPolicyRuleArgs> rules = new ArrayList<>();
        rules.add(expression(
                METRICS_PRIORITY,
                "deny(404)",
                "request.path.lower().urlDecode().startsWith('/metrics')",
                "/metrics: scraped inside the instance, never through the LB"));
        for (int i = 0; i < OWASP_RULES.size(); i++) {
            String rule = OWASP_RULES.get(i);
            rules.add(expression(
                    WAF_PRIORITY + 10 * i,
                    "deny(403)",
                    "evaluatePreconfiguredWaf('" + rule + "', {'sensitivity': 1})",
                    "OWASP CRS 3.3: " + rule));
        }
        rules.add(SecurityPolicyRuleArgs.builder()
                .priority(RATE_LIMIT_PRIORITY)
                .action("rate_based_ban")
                .description("At most " + tokenRateLimitPerMinute + " token requests per minute per client address")
                .match(SecurityPolicyRuleMatchArgs.builder()
                        .expr(SecurityPolicyRuleMatchExprArgs.builder()
                                .expression("request.method == 'POST' && request.path == '" + TOKEN_PATH + "'")
                                .build())
                        .build())
                .rateLimitOptions(SecurityPolicyRuleRateLimitOptionsArgs.builder()
                        .conformAction("allow")
                        .exceedAction("deny(429)")
                        .enforceOnKey("IP")
                        .rateLimitThreshold(SecurityPolicyRuleRateLimitOptionsRateLimitThresholdArgs.builder()
                                .count(tokenRateLimitPerMinute)
                                .intervalSec(RATE_LIMIT_INTERVAL_SEC)
                                .build())
                        .banDurationSec(BAN_DURATION_SEC)
                        .build())
                .build());
        rules.add(SecurityPolicyRuleArgs.builder()
                .priority(DEFAULT_PRIORITY)
                .action("allow")
                .description("Default: allow")
                .match(SecurityPolicyRuleMatchArgs.builder()
                        .versionedExpr("SRC_IPS_V1")
                        .config(SecurityPolicyRuleMatchConfigArgs.builder()
                                .srcIpRanges(List.of("*"))
                                .build())
                        .build())
                .build());
        return rules;
    }

    private static SecurityPolicyRuleArgs expression(int priority, String action, String expr, String description) {
        return SecurityPolicyRuleArgs.builder()
                .priority(priority)
                .action(action)
                .description(description)
                .match(SecurityPolicyRuleMatchArgs.builder()
                        .expr(SecurityPolicyRuleMatchExprArgs.builder()
                                .expression(expr)
                                .build())
                        .build())
                .build();
    }

    /** The load balancer's address: the A record's value, and what a DNS record outside Cloud DNS points at. */
    public Output<String> address() {
        return address.address();
    }

    private static String hash(String value) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
