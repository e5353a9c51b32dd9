package ai.sentryagent.agentidp.infra.aws;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.certificatemanager.Certificate;
import software.amazon.awscdk.services.certificatemanager.CertificateValidation;
import software.amazon.awscdk.services.certificatemanager.ICertificate;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.elasticloadbalancingv2.AddApplicationTargetGroupsProps;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationListener;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationLoadBalancer;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationLoadBalancerRedirectConfig;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationProtocol;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationTargetGroup;
import software.amazon.awscdk.services.elasticloadbalancingv2.BaseApplicationListenerProps;
import software.amazon.awscdk.services.elasticloadbalancingv2.HealthCheck;
import software.amazon.awscdk.services.elasticloadbalancingv2.ListenerCertificate;
import software.amazon.awscdk.services.elasticloadbalancingv2.SslPolicy;
import software.amazon.awscdk.services.elasticloadbalancingv2.TargetType;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.route53.ARecord;
import software.amazon.awscdk.services.route53.HostedZone;
import software.amazon.awscdk.services.route53.HostedZoneAttributes;
import software.amazon.awscdk.services.route53.IHostedZone;
import software.amazon.awscdk.services.route53.RecordTarget;
import software.amazon.awscdk.services.route53.targets.LoadBalancerTarget;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.LifecycleRule;
import software.amazon.awscdk.services.s3.ObjectOwnership;
import software.amazon.awscdk.services.wafv2.CfnLoggingConfiguration;
import software.amazon.awscdk.services.wafv2.CfnWebACL;
import software.amazon.awscdk.services.wafv2.CfnWebACLAssociation;
import software.constructs.Construct;

/**
 * The edge: an internet-facing ALB (HTTPS with the ACM certificate and a TLS 1.2+ policy, port 80 redirecting),
 * the target group checking {@code /health}, encrypted access logs, the Route 53 alias, and an optional WAF with a
 * rate rule on {@code POST /api/v1/token} and logging. Deletion protection on the ALB in production.
 */
public final class Edge extends Construct {
    static final String ACCESS_LOGS_LOGICAL_ID = "AgentIdpAccessLogs";

    /** What the edge needs to know. */
    public record Props(
            IVpc vpc,
            Names names,
            String domainName,
            String hostedZoneId,
            String hostedZoneName,
            Optional<String> certificateArn,
            boolean waf,
            int wafTokenRateLimit,
            boolean deletionProtection,
            RetentionDays logRetention,
            Protection protection) {}

    private final ApplicationLoadBalancer loadBalancer;
    private final ApplicationTargetGroup targetGroup;
    private final Bucket accessLogs;

    public Edge(Construct scope, String id, Props props) {
        super(scope, id);
        this.accessLogs = Bucket.Builder.create(this, "AccessLogs")
                .encryption(BucketEncryption.S3_MANAGED)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                .enforceSsl(true)
                .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
                .lifecycleRules(List.of(
                        LifecycleRule.builder().expiration(Duration.days(365)).build()))
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        ((software.amazon.awscdk.CfnResource) accessLogs.getNode().getDefaultChild())
                .overrideLogicalId(ACCESS_LOGS_LOGICAL_ID);

        this.loadBalancer = ApplicationLoadBalancer.Builder.create(this, "LoadBalancer")
                .loadBalancerName(props.names().loadBalancer())
                .vpc(props.vpc())
                .internetFacing(true)
                .vpcSubnets(Network.publicSubnets())
                .dropInvalidHeaderFields(true)
                .http2Enabled(true)
                .idleTimeout(Duration.seconds(60))
                .deletionProtection(props.deletionProtection())
                .build();
        loadBalancer.logAccessLogs(accessLogs, "alb");
        Nag.acknowledge(
                accessLogs,
                "AwsSolutions-S1",
                "This bucket is the load balancer's access-log destination; logging access to it into yet another"
                        + " bucket adds cost and no audit value (writes come only from the ELB log delivery).");
        Nag.acknowledge(
                loadBalancer,
                "AwsSolutions-EC23",
                "A public token API: the load balancer accepts 443 (and 80, which only redirects) from anywhere by"
                        + " design; the WAF rate-limits the token endpoint.");

        this.targetGroup = ApplicationTargetGroup.Builder.create(this, "TargetGroup")
                .targetGroupName(props.names().targetGroup())
                .vpc(props.vpc())
                .port(Service.CONTAINER_PORT)
                .protocol(ApplicationProtocol.HTTP)
                .targetType(TargetType.IP)
                // Longer than the service's 10 s drain, shorter than the task's 30 s stop timeout.
                .deregistrationDelay(Duration.seconds(20))
                .healthCheck(HealthCheck.builder()
                        .path("/health")
                        .healthyHttpCodes("200")
                        .interval(Duration.seconds(15))
                        .timeout(Duration.seconds(5))
                        .healthyThresholdCount(2)
                        .unhealthyThresholdCount(3)
                        .build())
                .build();

        IHostedZone zone = HostedZone.fromHostedZoneAttributes(
                this,
                "Zone",
                HostedZoneAttributes.builder()
                        .hostedZoneId(props.hostedZoneId())
                        .zoneName(props.hostedZoneName())
                        .build());
        // Without certificateArn the stack requests the certificate and answers ACM's DNS validation in the zone;
        // CloudFormation waits until it is issued (ACM user guide, "DNS validation").
        ICertificate certificate = props.certificateArn()
                .<ICertificate>map(arn -> Certificate.fromCertificateArn(this, "ExistingCertificate", arn))
                .orElseGet(() -> Certificate.Builder.create(this, "Certificate")
                        .domainName(props.domainName())
                        .validation(CertificateValidation.fromDns(zone))
                        .build());

        ApplicationListener https = loadBalancer.addListener(
                "Https",
                BaseApplicationListenerProps.builder()
                        .port(443)
                        .protocol(ApplicationProtocol.HTTPS)
                        .certificates(List.of(ListenerCertificate.fromCertificateManager(certificate)))
                        .sslPolicy(SslPolicy.RECOMMENDED_TLS)
                        .open(true)
                        .build());
        https.addTargetGroups(
                "Service",
                AddApplicationTargetGroupsProps.builder()
                        .targetGroups(List.of(targetGroup))
                        .build());
        loadBalancer.addRedirect(ApplicationLoadBalancerRedirectConfig.builder()
                .sourcePort(80)
                .sourceProtocol(ApplicationProtocol.HTTP)
                .targetPort(443)
                .targetProtocol(ApplicationProtocol.HTTPS)
                .build());

        ARecord.Builder.create(this, "Alias")
                .zone(zone)
                .recordName(props.domainName() + ".")
                .target(RecordTarget.fromAlias(new LoadBalancerTarget(loadBalancer)))
                .build();

        if (props.waf()) {
            webAcl(props);
        }
    }

    private void webAcl(Props props) {
        CfnWebACL acl = CfnWebACL.Builder.create(this, "WebAcl")
                .name(props.names().prefix())
                .scope("REGIONAL")
                .defaultAction(CfnWebACL.DefaultActionProperty.builder()
                        .allow(CfnWebACL.AllowActionProperty.builder().build())
                        .build())
                .visibilityConfig(visibility(props.names().prefix()))
                .rules(List.of(
                        CfnWebACL.RuleProperty.builder()
                                .name("token-endpoint-rate")
                                .priority(0)
                                .action(CfnWebACL.RuleActionProperty.builder()
                                        .block(CfnWebACL.BlockActionProperty.builder()
                                                .build())
                                        .build())
                                .statement(CfnWebACL.StatementProperty.builder()
                                        .rateBasedStatement(CfnWebACL.RateBasedStatementProperty.builder()
                                                .aggregateKeyType("IP")
                                                .limit(props.wafTokenRateLimit())
                                                .scopeDownStatement(tokenRequests())
                                                .build())
                                        .build())
                                .visibilityConfig(visibility("token-endpoint-rate"))
                                .build(),
                        managed("AWSManagedRulesCommonRuleSet", 1),
                        managed("AWSManagedRulesKnownBadInputsRuleSet", 2)))
                .build();
        CfnWebACLAssociation.Builder.create(this, "WebAclAssociation")
                .resourceArn(loadBalancer.getLoadBalancerArn())
                .webAclArn(acl.getAttrArn())
                .build();

        // WAF logs only to destinations named aws-waf-logs-* (WAF API reference, LoggingConfiguration) and adds the
        // log group's resource policy itself. The Authorization header carries client secrets: redacted.
        LogGroup wafLogs = LogGroup.Builder.create(this, "WafLogs")
                .logGroupName(WAF_LOG_PREFIX + props.names().prefix())
                .retention(props.logRetention())
                .removalPolicy(props.protection().retainOrDestroy())
                .build();
        CfnLoggingConfiguration.Builder.create(this, "WafLogging")
                .resourceArn(acl.getAttrArn())
                .logDestinationConfigs(List.of(wafLogs.getLogGroupArn()))
                .redactedFields(List.of(CfnLoggingConfiguration.FieldToMatchProperty.builder()
                        .singleHeader(Map.of("Name", "authorization"))
                        .build()))
                .build();
    }

    static final String WAF_LOG_PREFIX = "aws-waf-logs-";

    /**
     * {@code POST /api/v1/token} and nothing else: not introspection ({@code /api/v1/token/introspect}) nor
     * revocation, which a prefix match would throttle too. The path is compared after WAF's NORMALIZE_PATH
     * ({@code //api/v1/./token} cannot slip past); a trailing slash is matched as well.
     */
    static CfnWebACL.StatementProperty tokenRequests() {
        return CfnWebACL.StatementProperty.builder()
                .andStatement(CfnWebACL.AndStatementProperty.builder()
                        .statements(List.of(
                                CfnWebACL.StatementProperty.builder()
                                        .byteMatchStatement(CfnWebACL.ByteMatchStatementProperty.builder()
                                                .fieldToMatch(CfnWebACL.FieldToMatchProperty.builder()
                                                        .method(Map.of())
                                                        .build())
                                                .positionalConstraint("EXACTLY")
                                                .searchString("POST")
                                                .textTransformations(List.of(transformation("NONE")))
                                                .build())
                                        .build(),
                                CfnWebACL.StatementProperty.builder()
                                        .regexMatchStatement(CfnWebACL.RegexMatchStatementProperty.builder()
                                                .fieldToMatch(CfnWebACL.FieldToMatchProperty.builder()
                                                        .uriPath(Map.of())
                                                        .build())
                                                .regexString(TOKEN_PATH_REGEX)
                                                .textTransformations(List.of(transformation("NORMALIZE_PATH")))
                                                .build())
                                        .build()))
                        .build())
                .build();
    }

    static final String TOKEN_PATH_REGEX = "^/api/v1/token/?$";

    private static CfnWebACL.TextTransformationProperty transformation(String type) {
        return CfnWebACL.TextTransformationProperty.builder()
                .priority(0)
                .type(type)
                .build();
    }

    private static CfnWebACL.RuleProperty managed(String name, int priority) {
        return CfnWebACL.RuleProperty.builder()
                .name(name)
                .priority(priority)
                .overrideAction(CfnWebACL.OverrideActionProperty.builder()
                        .none(java.util.Map.of())
                        .build())
                .statement(CfnWebACL.StatementProperty.builder()
                        .managedRuleGroupStatement(CfnWebACL.ManagedRuleGroupStatementProperty.builder()
                                .vendorName("AWS")
                                .name(name)
                                .build())
                        .build())
                .visibilityConfig(visibility(name))
                .build();
    }

    private static CfnWebACL.VisibilityConfigProperty visibility(String metric) {
        return CfnWebACL.VisibilityConfigProperty.builder()
                .cloudWatchMetricsEnabled(true)
                .sampledRequestsEnabled(true)
                .metricName(metric)
                .build();
    }

    public ApplicationLoadBalancer loadBalancer() {
        return loadBalancer;
    }

    public ApplicationTargetGroup targetGroup() {
        return targetGroup;
    }
}
