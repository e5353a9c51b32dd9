package ai.sentryagent.agentidp.infra.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** The synthesized production template, property by property (no snapshots). Built once for the class. */
class ProductionTemplateTest {
    private static Template template;
    private static String json;
    private static App app;
    private static AgentIdpStack stack;

    @BeforeAll
    static void synthesize() {
        app = CdkContext.app(Map.of("env", "production"));
        stack = AgentIdpApp.build(app, CdkContext.repositoryRoot());
        template = Template.fromStack(stack);
        json = new com.fasterxml.jackson.databind.ObjectMapper()
                .valueToTree(template.toJSON())
                .toString();
    }

    private static Map<String, Map<String, Object>> resources(String type) {
        return template.findResources(type);
    }

    /** The "Name" of each entry of a container's Secrets or Environment list. */
    private static List<Object> names(Object entries) {
        return ((List<?>) entries)
                .stream()
                        .map(e -> ((Map<?, ?>) e).get("Name"))
                        .map(Object.class::cast)
                        .toList();
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object entries) {
        return (List<Object>) entries;
    }

    // ---- network

    @Test
    void vpcSpansTwoZonesWithPublicPrivateAndIsolatedSubnets() {
        template.resourceCountIs("AWS::EC2::VPC", 1);
        template.hasResourceProperties("AWS::EC2::VPC", Map.of("CidrBlock", "10.40.0.0/16"));
        template.resourceCountIs("AWS::EC2::Subnet", 6);
        template.resourceCountIs("AWS::EC2::NatGateway", 2);
        template.hasResourceProperties("AWS::EC2::Subnet", Map.of("AvailabilityZone", "us-east-1a"));
        template.hasResourceProperties("AWS::EC2::Subnet", Map.of("AvailabilityZone", "us-east-1b"));
    }

    @Test
    void vpcHasEndpointsAndFlowLogs() {
        template.hasResourceProperties(
                "AWS::EC2::VPCEndpoint",
                Map.of(
                        "VpcEndpointType",
                        "Gateway",
                        "ServiceName",
                        Match.objectLike(
                                Map.of("Fn::Join", Match.arrayWith(List.of(Match.arrayWith(List.of(".s3"))))))));
        for (String service : List.of("ecr.api", "ecr.dkr", "secretsmanager", "logs")) {
            template.hasResourceProperties(
                    "AWS::EC2::VPCEndpoint",
                    Map.of(
                            "VpcEndpointType",
                            "Interface",
                            "ServiceName",
                            "com.amazonaws.us-east-1." + service,
                            "PrivateDnsEnabled",
                            true));
        }
        template.hasResourceProperties(
                "AWS::EC2::FlowLog", Map.of("TrafficType", "ALL", "LogDestinationType", "cloud-watch-logs"));
    }

    // ---- database

    @Test
    void postgresIsMultiAzEncryptedPrivateProtectedAndBackedUp() {
        template.hasResource(
                "AWS::RDS::DBInstance",
                Map.of(
                        "DeletionPolicy", "Snapshot",
                        "UpdateReplacePolicy", "Snapshot",
                        "Properties",
                                Match.objectLike(Map.ofEntries(
                                        Map.entry("DBInstanceIdentifier", "sentryagent-agentidp-production"),
                                        Map.entry("Engine", "postgres"),
                                        Map.entry("EngineVersion", "14"),
                                        Map.entry("DBInstanceClass", "db.r6g.large"),
                                        Map.entry("MultiAZ", true),
                                        Map.entry("StorageEncrypted", true),
                                        Map.entry("PubliclyAccessible", false),
                                        Map.entry("DeletionProtection", true),
                                        Map.entry("BackupRetentionPeriod", 14),
                                        Map.entry("EnablePerformanceInsights", true),
                                        Map.entry("AllocatedStorage", "100"),
                                        Map.entry("DBName", "agentidp"),
                                        Map.entry("EnableCloudwatchLogsExports", List.of("postgresql", "upgrade"))))));
        template.hasResourceProperties(
                "AWS::RDS::DBParameterGroup", Map.of("Parameters", Match.objectLike(Map.of("rds.force_ssl", "1"))));
    }

    @Test
    void postgresMasterPasswordIsGeneratedIntoSecretsManager() {
        template.hasResourceProperties(
                "AWS::SecretsManager::Secret",
                Map.of(
                        "Name",
                        "/sentryagent-agentidp/production/db-master",
                        "GenerateSecretString",
                        Match.objectLike(Map.of(
                                "GenerateStringKey",
                                "password",
                                "ExcludeCharacters",
                                Database.URL_UNSAFE_CHARACTERS))));
        Capture password = new Capture();
        template.hasResourceProperties("AWS::RDS::DBInstance", Map.of("MasterUserPassword", password));
        assertThat(password.asObject().toString()).contains("resolve:secretsmanager");
    }

    @Test
    void postgresAndRedisAdmitOnlyTheService() {
        Capture serviceGroup = new Capture();
        template.hasResourceProperties(
                "AWS::EC2::SecurityGroupIngress",
                Map.of(
                        "FromPort",
                        5432,
                        "ToPort",
                        5432,
                        "IpProtocol",
                        "tcp",
                        "SourceSecurityGroupId",
                        Map.of("Fn::GetAtt", List.of(serviceGroup, "GroupId"))));
        assertThat(serviceGroup.asString()).startsWith("ServiceSecurityGroup");
        template.hasResourceProperties(
                "AWS::EC2::SecurityGroupIngress",
                Map.of(
                        "FromPort",
                        6379,
                        "ToPort",
                        6379,
                        "SourceSecurityGroupId",
                        Map.of("Fn::GetAtt", List.of(serviceGroup.asString(), "GroupId"))));
        // Nothing else may reach them: no inline CIDR rules on their groups.
        for (String description : List.of(
                "AgentIdP PostgreSQL: reachable only from the service",
                "AgentIdP Redis: reachable only from the service")) {
            template.hasResourceProperties(
                    "AWS::EC2::SecurityGroup",
                    Map.of("GroupDescription", description, "SecurityGroupIngress", Match.absent()));
        }
    }

    // ---- cache

    @Test
    void redisIsReplicatedEncryptedAndAuthenticated() {
        template.hasResource(
                "AWS::ElastiCache::ReplicationGroup",
                Map.of(
                        "DeletionPolicy",
                        "Snapshot",
                        "Properties",
                        Match.objectLike(Map.ofEntries(
                                Map.entry("ReplicationGroupId", "sentryagent-agentidp-production"),
                                Map.entry("Engine", "redis"),
                                Map.entry("EngineVersion", "7.1"),
                                Map.entry("CacheNodeType", "cache.r7g.large"),
                                Map.entry("NumNodeGroups", 1),
                                Map.entry("ReplicasPerNodeGroup", 1),
                                Map.entry("AutomaticFailoverEnabled", true),
                                Map.entry("MultiAZEnabled", true),
                                Map.entry("TransitEncryptionEnabled", true),
                                Map.entry("AtRestEncryptionEnabled", true)))));
        Capture token = new Capture();
        template.hasResourceProperties("AWS::ElastiCache::ReplicationGroup", Map.of("AuthToken", token));
        assertThat(token.asObject().toString())
                .contains("resolve:secretsmanager")
                .contains("SecretRedisAuthToken");
    }

    // ---- secrets

    @Test
    void everySecretLivesUnderTheSeedsPathAndGeneratedOnesAreGenerated() {
        for (String name : List.of(
                "redis-auth-token",
                "credential-hash-key",
                "audit-chain-key",
                "bootstrap-admin-secret",
                "database-runtime-password")) {
            template.hasResourceProperties(
                    "AWS::SecretsManager::Secret",
                    Map.of(
                            "Name",
                            "/sentryagent-agentidp/production/" + name,
                            "GenerateSecretString",
                            Match.objectLike(Map.of("ExcludePunctuation", true))));
        }
        for (String name : List.of("database-url", "database-migrator-url", "redis-url")) {
            Capture value = new Capture();
            template.hasResourceProperties(
                    "AWS::SecretsManager::Secret",
                    Map.of("Name", "/sentryagent-agentidp/production/" + name, "SecretString", value));
            assertThat(value.asObject().toString()).contains("resolve:secretsmanager");
        }
    }

    @Test
    void databaseAndRedisUrlsAreComposedFromEndpointsAndGeneratedCredentials() {
        Capture database = new Capture();
        template.hasResourceProperties(
                "AWS::SecretsManager::Secret",
                Map.of("Name", "/sentryagent-agentidp/production/database-url", "SecretString", database));
        String db = database.asObject().toString();
        // The service's URL is the runtime role's (DML only), with its own generated password; the master user's
        // URL is a different secret that only the migrate task reads.
        assertThat(db)
                .contains("postgres://", "agentidp_app:", "SecretDatabaseRuntimePassword", "Endpoint.Address")
                // The server is verified, chain and host name: RDS server certificates name the endpoint (RDS user
                // guide, "Using SSL/TLS to encrypt a connection to a DB instance"); cdk.json hands the region's bundle.
                .contains("?sslmode=verify-full")
                .doesNotContain(":password::");
        Capture migrator = new Capture();
        template.hasResourceProperties(
                "AWS::SecretsManager::Secret",
                Map.of("Name", "/sentryagent-agentidp/production/database-migrator-url", "SecretString", migrator));
        assertThat(migrator.asObject().toString()).contains("postgres://", "agentidp:", ":password::");
        Capture redis = new Capture();
        template.hasResourceProperties(
                "AWS::SecretsManager::Secret",
                Map.of("Name", "/sentryagent-agentidp/production/redis-url", "SecretString", redis));
        assertThat(redis.asObject().toString()).contains("rediss://:", "PrimaryEndPoint.Address", ":6379");
    }

    @Test
    void theServiceGetsSecretsAsEcsSecretsNeverAsEnvironment() {
        Capture containers = new Capture();
        template.hasResourceProperties(
                "AWS::ECS::TaskDefinition",
                Map.of("Family", "sentryagent-agentidp-production", "ContainerDefinitions", containers));
        Map<?, ?> container = (Map<?, ?>) containers.asArray().get(0);
        List<Object> secrets = list(container.get("Secrets"));
        assertThat(secrets.toString()).doesNotContain("SecretDatabaseMigratorUrl", "SecretDatabaseRuntimePassword");
        assertThat(names(secrets))
                .containsExactly(
                        "DATABASE_URL",
                        "REDIS_URL",
                        "JWT_PRIVATE_KEY",
                        "JWT_PUBLIC_KEY",
                        "CREDENTIAL_HASH_KEY",
                        "AUDIT_CHAIN_KEY",
                        "BOOTSTRAP_ADMIN_SECRET");
        // The key pair comes by the complete ARNs cdk.json names (see everyEcsSecretIsACompleteArn).
        assertThat(secrets.toString())
                .contains(
                        "secret:/sentryagent-agentidp/production/jwt-private-key-AbCdEf",
                        "secret:/sentryagent-agentidp/production/jwt-public-key-GhIjKl");
        List<Object> environment = list(container.get("Environment"));
        assertThat(names(environment))
                .doesNotContain(
                        "DATABASE_URL",
                        "REDIS_URL",
                        "JWT_PRIVATE_KEY",
                        "CREDENTIAL_HASH_KEY",
                        "AUDIT_CHAIN_KEY",
                        "BOOTSTRAP_ADMIN_SECRET")
                .contains("NODE_ENV", "ISSUER_URL", "ANALYTICS_ENABLED", "TIER_ENFORCEMENT", "COMPLIANCE_ENABLED");
        assertThat(environment).contains(Map.of("Name", "ISSUER_URL", "Value", "https://idp.example.com"));
        assertThat(environment).contains(Map.of("Name", "ANALYTICS_ENABLED", "Value", "false"));
        assertThat(environment).contains(Map.of("Name", "TRUSTED_PROXY_COUNT", "Value", "1"));
        assertThat(environment).contains(Map.of("Name", "ENFORCE_TLS", "Value", "true"));
        // The runtime role cannot change the schema: the tasks must not try to migrate at start.
        assertThat(environment).contains(Map.of("Name", "DB_MIGRATE_ON_START", "Value", "false"));
    }

    /**
     * ECS fetches secrets by complete ARN only (aws/aws-cdk issues 18555 and 20744): a partial ARN fails every task
     * start with AccessDeniedException and the circuit breaker rolls the stack back.
     */
    @Test
    void everyEcsSecretIsACompleteArn() {
        ProviderRules.assertEveryEcsSecretIsACompleteArn(template);
    }

    @Test
    void theExecutionRoleMayReadExactlyTheServicesSecrets() {
        Capture statements = new Capture();
        template.hasResourceProperties(
                "AWS::IAM::Policy",
                Map.of(
                        "PolicyName", Match.stringLikeRegexp("ServiceTaskExecutionRoleDefaultPolicy.*"),
                        "PolicyDocument", Map.of("Statement", statements, "Version", "2012-10-17")));
        String policy = statements.asArray().toString();
        assertThat(policy)
                .contains("secretsmanager:GetSecretValue")
                .contains("secret:/sentryagent-agentidp/production/jwt-private-key-AbCdEf")
                .doesNotContain("secret:*")
                .doesNotContain("db-master")
                .doesNotContain("SecretDatabaseMigratorUrl");
    }

    // ---- service

    @Test
    void taskDefinitionIsHardened() {
        Capture containers = new Capture();
        template.hasResourceProperties(
                "AWS::ECS::TaskDefinition",
                Map.of(
                        "Family", "sentryagent-agentidp-production",
                        "Cpu", "1024",
                        "Memory", "2048",
                        "NetworkMode", "awsvpc",
                        "RequiresCompatibilities", List.of("FARGATE"),
                        "ContainerDefinitions", containers));
        Map<?, ?> container = (Map<?, ?>) containers.asArray().get(0);
        assertThat(container.get("Name")).isEqualTo("agentidp");
        assertThat(container.get("ReadonlyRootFilesystem")).isEqualTo(true);
        assertThat(container.get("User")).isEqualTo("10001");
        assertThat(container.get("Command")).isEqualTo(List.of("serve"));
        assertThat(container.get("PortMappings").toString()).contains("ContainerPort=3000");
        assertThat(container.get("LogConfiguration").toString()).contains("awslogs");
        assertThat(container.get("MountPoints").toString()).contains("/tmp");
        // deploy/image.json's digest, never a tag (the staging test checks the same digest).
        ProviderRules.assertEveryTaskRunsTheDigest(
                template, DeployedImage.read(CdkContext.repositoryRoot()).digest());
        template.hasResourceProperties(
                "AWS::Logs::LogGroup",
                Map.of("LogGroupName", "/ecs/sentryagent-agentidp-production", "RetentionInDays", 365));
    }

    @Test
    void serviceRunsTwoOrMoreTasksPrivatelyWithSafeDeployments() {
        template.hasResourceProperties(
                "AWS::ECS::Cluster",
                Map.of(
                        "ClusterName",
                        "sentryagent-agentidp-production",
                        "ClusterSettings",
                        List.of(Map.of("Name", "containerInsights", "Value", "enabled"))));
        template.hasResourceProperties(
                "AWS::ECS::Service",
                Map.ofEntries(
                        Map.entry("ServiceName", "sentryagent-agentidp-production"),
                        Map.entry("DesiredCount", 2),
                        Map.entry("LaunchType", "FARGATE"),
                        Map.entry("EnableExecuteCommand", false),
                        Map.entry("HealthCheckGracePeriodSeconds", 90),
                        Map.entry(
                                "DeploymentConfiguration",
                                Match.objectLike(Map.of(
                                        "MinimumHealthyPercent", 100,
                                        "MaximumPercent", 200,
                                        "DeploymentCircuitBreaker", Map.of("Enable", true, "Rollback", true)))),
                        Map.entry(
                                "NetworkConfiguration",
                                Map.of(
                                        "AwsvpcConfiguration",
                                        Match.objectLike(Map.of("AssignPublicIp", "DISABLED"))))));
    }

    @Test
    void serviceScalesOnCpuAndRequests() {
        template.hasResourceProperties(
                "AWS::ApplicationAutoScaling::ScalableTarget",
                Map.of("MinCapacity", 2, "MaxCapacity", 6, "ScalableDimension", "ecs:service:DesiredCount"));
        template.hasResourceProperties(
                "AWS::ApplicationAutoScaling::ScalingPolicy",
                Map.of(
                        "TargetTrackingScalingPolicyConfiguration",
                        Match.objectLike(Map.of(
                                "TargetValue",
                                60,
                                "PredefinedMetricSpecification",
                                Map.of("PredefinedMetricType", "ECSServiceAverageCPUUtilization")))));
        template.hasResourceProperties(
                "AWS::ApplicationAutoScaling::ScalingPolicy",
                Map.of(
                        "TargetTrackingScalingPolicyConfiguration",
                        Match.objectLike(Map.of(
                                "PredefinedMetricSpecification",
                                Match.objectLike(Map.of("PredefinedMetricType", "ALBRequestCountPerTarget"))))));
    }

    @Test
    void migrateTaskRunsMigrateAsTheMigratorAndCreatesTheRuntimeRole() {
        Capture containers = new Capture();
        template.hasResourceProperties(
                "AWS::ECS::TaskDefinition",
                Map.of("Family", "sentryagent-agentidp-production-migrate", "ContainerDefinitions", containers));
        Map<?, ?> container = (Map<?, ?>) containers.asArray().get(0);
        assertThat(container.get("Command")).isEqualTo(List.of("migrate"));
        assertThat(names(container.get("Secrets"))).containsExactly("DATABASE_URL", "DATABASE_RUNTIME_PASSWORD");
        assertThat(container.get("Secrets").toString())
                .contains("SecretDatabaseMigratorUrl", "SecretDatabaseRuntimePassword")
                .doesNotContain("jwt-private-key");
        assertThat(list(container.get("Environment")))
                .contains(Map.of("Name", "DATABASE_RUNTIME_ROLE", "Value", "agentidp_app"));
    }

    // ---- edge

    @Test
    void loadBalancerServesHttpsWithAModernPolicyAndRedirectsHttp() {
        template.hasResourceProperties(
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                Map.of(
                        "Name", "sentryagent-agentidp-production",
                        "Scheme", "internet-facing",
                        "LoadBalancerAttributes",
                                Match.arrayWith(List.of(Map.of(
                                        "Key", "routing.http.drop_invalid_header_fields.enabled", "Value", "true")))));
        template.hasResourceProperties(
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                Map.of(
                        "LoadBalancerAttributes",
                        Match.arrayWith(List.of(Map.of("Key", "access_logs.s3.enabled", "Value", "true")))));
        template.hasResourceProperties(
                "AWS::ElasticLoadBalancingV2::Listener",
                Map.of(
                        "Port",
                        443,
                        "Protocol",
                        "HTTPS",
                        "SslPolicy",
                        "ELBSecurityPolicy-TLS13-1-2-2021-06",
                        "Certificates",
                        List.of(Map.of("CertificateArn", Map.of("Ref", Match.stringLikeRegexp("EdgeCertificate.*"))))));
        template.hasResourceProperties(
                "AWS::ElasticLoadBalancingV2::Listener",
                Map.of(
                        "Port",
                        80,
                        "Protocol",
                        "HTTP",
                        "DefaultActions",
                        List.of(Map.of(
                                "Type",
                                "redirect",
                                "RedirectConfig",
                                Map.of("Port", "443", "Protocol", "HTTPS", "StatusCode", "HTTP_301")))));
    }

    /**
     * No certificateArn in cdk.json: the stack requests the certificate for domainName and validates it through DNS
     * in the configured hosted zone (CloudFormation AWS::CertificateManager::Certificate, DomainValidationOptions
     * with HostedZoneId: CloudFormation creates the validation record and waits for issuance). Without the zone the
     * stack would wait for a record nobody writes.
     */
    @Test
    void certificateIsRequestedAndValidatedThroughTheHostedZone() {
        template.hasResourceProperties(
                "AWS::CertificateManager::Certificate",
                Map.of(
                        "DomainName",
                        "idp.example.com",
                        "ValidationMethod",
                        "DNS",
                        "DomainValidationOptions",
                        List.of(Map.of("DomainName", "idp.example.com", "HostedZoneId", "Z0123456789EXAMPLE"))));
    }

    /**
     * The production image's ECR repository is code (stack AgentIdp-registry, deployed first): immutable tags and
     * scan on push (ECR user guide, "Image tag mutability", "Image scanning").
     */
    @Test
    void theImageRepositoryIsCodeWithImmutableTagsAndScanOnPush() {
        Stack registry = (Stack) app.getNode().findChild(Registry.STACK);
        Template.fromStack(registry)
                .hasResource(
                        "AWS::ECR::Repository",
                        Map.of(
                                "DeletionPolicy",
                                "Retain",
                                "Properties",
                                Match.objectLike(Map.of(
                                        "RepositoryName",
                                        "sentryagent/agentidp",
                                        "ImageTagMutability",
                                        "IMMUTABLE",
                                        "ImageScanningConfiguration",
                                        Map.of("ScanOnPush", true)))));
        assertThat(stack.getDependencies()).contains(registry);
    }

    @Test
    void targetGroupChecksHealthAndDrainsGracefully() {
        template.hasResourceProperties(
                "AWS::ElasticLoadBalancingV2::TargetGroup",
                Map.of(
                        "Name",
                        "sentryagent-agentidp-production",
                        "Port",
                        3000,
                        "TargetType",
                        "ip",
                        "HealthCheckPath",
                        "/health",
                        "Matcher",
                        Map.of("HttpCode", "200"),
                        "TargetGroupAttributes",
                        Match.arrayWith(
                                List.of(Map.of("Key", "deregistration_delay.timeout_seconds", "Value", "20")))));
    }

    @Test
    void accessLogsGoToAnEncryptedPrivateRetainedBucket() {
        template.hasResource(
                "AWS::S3::Bucket",
                Map.of(
                        "DeletionPolicy",
                        "Retain",
                        "Properties",
                        Match.objectLike(Map.of(
                                "BucketEncryption",
                                        Map.of(
                                                "ServerSideEncryptionConfiguration",
                                                List.of(Map.of(
                                                        "ServerSideEncryptionByDefault",
                                                        Map.of("SSEAlgorithm", "AES256")))),
                                "PublicAccessBlockConfiguration",
                                        Map.of(
                                                "BlockPublicAcls",
                                                true,
                                                "BlockPublicPolicy",
                                                true,
                                                "IgnorePublicAcls",
                                                true,
                                                "RestrictPublicBuckets",
                                                true)))));
    }

    @Test
    void dnsAliasPointsAtTheLoadBalancer() {
        template.hasResourceProperties(
                "AWS::Route53::RecordSet",
                Map.of(
                        "Name", "idp.example.com.",
                        "Type", "A",
                        "HostedZoneId", "Z0123456789EXAMPLE",
                        "AliasTarget", Match.objectLike(Map.of("DNSName", Match.anyValue()))));
    }

    /**
     * The rate rule's scope-down is {@code POST /api/v1/token} exactly (WAF developer guide, "Rate-based rule
     * statement": a scope-down limits what is counted). A prefix match (STARTS_WITH) would also throttle
     * {@code /api/v1/token/introspect} and {@code /api/v1/token/revoke}.
     */
    @Test
    void wafRateLimitsExactlyPostToTheTokenEndpoint() {
        Object scopeDown = Map.of(
                "AndStatement",
                Map.of(
                        "Statements",
                        List.of(
                                Map.of(
                                        "ByteMatchStatement",
                                        Match.objectLike(Map.of(
                                                "FieldToMatch", Map.of("Method", Map.of()),
                                                "PositionalConstraint", "EXACTLY",
                                                "SearchString", "POST"))),
                                Map.of(
                                        "RegexMatchStatement",
                                        Match.objectLike(Map.of(
                                                "FieldToMatch",
                                                Map.of("UriPath", Map.of()),
                                                "RegexString",
                                                Edge.TOKEN_PATH_REGEX,
                                                "TextTransformations",
                                                List.of(Map.of("Priority", 0, "Type", "NORMALIZE_PATH"))))))));
        assertThat(json).doesNotContain("STARTS_WITH");
        Pattern token = Pattern.compile(Edge.TOKEN_PATH_REGEX);
        assertThat(List.of("/api/v1/token", "/api/v1/token/"))
                .allMatch(p -> token.matcher(p).matches());
        assertThat(List.of("/api/v1/token/introspect", "/api/v1/token/revoke", "/api/v1/tokens"))
                .noneMatch(p -> token.matcher(p).matches());
        Object rateRule = Match.objectLike(Map.of(
                "Name", "token-endpoint-rate",
                "Action", Map.of("Block", Map.of()),
                "Statement",
                        Map.of(
                                "RateBasedStatement",
                                Match.objectLike(Map.of(
                                        "Limit", 1000, "AggregateKeyType", "IP", "ScopeDownStatement", scopeDown)))));
        template.hasResourceProperties(
                "AWS::WAFv2::WebACL", Map.of("Scope", "REGIONAL", "Rules", Match.arrayWith(List.of(rateRule))));
        template.resourceCountIs("AWS::WAFv2::WebACLAssociation", 1);
    }

    /**
     * WAF logs only to a destination whose name starts with {@code aws-waf-logs-} (WAF API reference,
     * LoggingConfiguration); Authorization carries client secrets (HTTP Basic), so it is redacted.
     */
    @Test
    void wafLogsToAnAwsWafLogsGroupWithoutTheAuthorizationHeader() {
        template.hasResourceProperties(
                "AWS::Logs::LogGroup",
                Map.of("LogGroupName", Match.stringLikeRegexp("^aws-waf-logs-.*"), "RetentionInDays", 365));
        Capture destination = new Capture();
        template.hasResourceProperties(
                "AWS::WAFv2::LoggingConfiguration",
                Map.of(
                        "LogDestinationConfigs",
                        List.of(destination),
                        "RedactedFields",
                        List.of(Map.of("SingleHeader", Map.of("Name", "authorization")))));
        String group = destination.asObject().toString();
        Map<String, Map<String, Object>> groups = resources("AWS::Logs::LogGroup");
        String logicalId =
                groups.keySet().stream().filter(group::contains).findFirst().orElseThrow();
        assertThat(((Map<?, ?>) groups.get(logicalId).get("Properties"))
                        .get("LogGroupName")
                        .toString())
                .startsWith("aws-waf-logs-");
    }

    /** ELB: deletion_protection.enabled keeps a production load balancer from being deleted by a stack change. */
    @Test
    void productionLoadBalancerHasDeletionProtection() {
        template.hasResourceProperties(
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                Map.of(
                        "LoadBalancerAttributes",
                        Match.arrayWith(List.of(Map.of("Key", "deletion_protection.enabled", "Value", "true")))));
    }

    /**
     * ECS Exec needs a writable root filesystem (ECS developer guide, "Monitor Amazon ECS containers with ECS Exec":
     * not supported with readonlyRootFilesystem) and puts ssmmessages:* on * into the task role: off, and the task
     * role holds nothing but the metrics collector's write on its own log group (EMF: CloudWatch user guide,
     * "Embedded metric format").
     */
    @Test
    void noEcsExecAndNoGrantsOnTheTaskRole() {
        String taskRole = resources("AWS::IAM::Role").keySet().stream()
                .filter(id -> id.startsWith("ServiceTaskTaskRole"))
                .findFirst()
                .orElseThrow();
        resources("AWS::IAM::Policy").values().stream()
                .map(policy -> (Map<?, ?>) policy.get("Properties"))
                .filter(properties -> properties.get("Roles").toString().contains(taskRole))
                .forEach(properties -> {
                    List<?> statements = (List<?>) ((Map<?, ?>) properties.get("PolicyDocument")).get("Statement");
                    assertThat(statements).hasSize(1);
                    Map<?, ?> statement = (Map<?, ?>) statements.get(0);
                    assertThat(statement.get("Action")).isEqualTo(List.of("logs:CreateLogStream", "logs:PutLogEvents"));
                    assertThat(statement.get("Resource").toString()).startsWith("{Fn::GetAtt=[MetricsLogs");
                });
        assertThat(json).doesNotContain("ssmmessages");
    }

    /**
     * The tasks reach only PostgreSQL, Redis, the VPC endpoints and S3 (ECR layers; ECS developer guide, "Fargate
     * task networking"): no 0.0.0.0/0 egress.
     */
    @Test
    void taskEgressIsRestricted() {
        String group = resources("AWS::EC2::SecurityGroup").entrySet().stream()
                .filter(e -> ((Map<?, ?>) e.getValue().get("Properties"))
                        .get("GroupDescription")
                        .equals("AgentIdP tasks: HTTP from the load balancer only"))
                .map(Map.Entry::getKey)
                .findFirst()
                .orElseThrow();
        List<Map<?, ?>> rules = new java.util.ArrayList<>();
        Object inline = ((Map<?, ?>)
                        resources("AWS::EC2::SecurityGroup").get(group).get("Properties"))
                .get("SecurityGroupEgress");
        if (inline != null) {
            ((List<?>) inline).forEach(rule -> rules.add((Map<?, ?>) rule));
        }
        resources("AWS::EC2::SecurityGroupEgress").values().stream()
                .map(r -> (Map<?, ?>) r.get("Properties"))
                .filter(r -> r.get("GroupId").toString().contains(group))
                .forEach(rules::add);
        assertThat(rules).isNotEmpty();
        for (Map<?, ?> rule : rules) {
            assertThat(String.valueOf(rule.get("CidrIp"))).isNotEqualTo("0.0.0.0/0");
            assertThat(rule.get("CidrIpv6")).isNull();
            assertThat(rule.get("IpProtocol")).isEqualTo("tcp");
            assertThat(rule.get("FromPort")).isEqualTo(rule.get("ToPort")).isIn(5432, 6379, 443);
        }
        assertThat(rules)
                .anyMatch(r -> Integer.valueOf(5432).equals(r.get("FromPort"))
                        && r.get("DestinationSecurityGroupId").toString().contains("DatabaseSecurityGroup"))
                .anyMatch(r -> Integer.valueOf(6379).equals(r.get("FromPort"))
                        && r.get("DestinationSecurityGroupId").toString().contains("CacheSecurityGroup"))
                .anyMatch(r -> Integer.valueOf(443).equals(r.get("FromPort"))
                        && String.valueOf(r.get("DestinationSecurityGroupId")).contains("EndpointSecurityGroup"))
                .anyMatch(r -> "pl-63a5400a".equals(r.get("DestinationPrefixListId")));
    }

    // ---- alarms

    @Test
    void alarmsCoverTheEdgeTheServiceTheDatabaseAndTheCacheAndNotifySns() {
        for (String metric : List.of(
                "HTTPCode_ELB_5XX_Count",
                "HTTPCode_Target_5XX_Count",
                "TargetResponseTime",
                "UnHealthyHostCount",
                "CPUUtilization",
                "MemoryUtilization",
                "FreeStorageSpace",
                "DatabaseConnections",
                "EngineCPUUtilization",
                "DatabaseMemoryUsagePercentage",
                "Evictions")) {
            template.hasResourceProperties(
                    "AWS::CloudWatch::Alarm",
                    Match.objectLike(Map.of(
                            "MetricName",
                            metric,
                            "AlarmActions",
                            List.of(Map.of("Ref", Match.stringLikeRegexp("AlarmsTopic.*"))))));
        }
        template.hasResourceProperties(
                "AWS::CloudWatch::Alarm",
                Map.of("MetricName", "TargetResponseTime", "ExtendedStatistic", "p99", "Threshold", 1));
        template.hasResourceProperties(
                "AWS::SNS::Topic",
                Map.of("TopicName", "sentryagent-agentidp-production-alarms", "KmsMasterKeyId", Match.anyValue()));
        // Production refuses to synthesize without a recipient (Settings); cdk.json names an e-mail address. An
        // alarm that reaches nobody is not an alarm (SNS: an e-mail endpoint gets a confirmation request).
        template.hasResourceProperties(
                "AWS::SNS::Subscription",
                Map.of(
                        "Protocol",
                        "email",
                        "Endpoint",
                        "oncall@example.com",
                        "TopicArn",
                        Map.of("Ref", Match.stringLikeRegexp("AlarmsTopic.*"))));
    }

    // ---- outputs, identities, secrecy

    @Test
    void everyOutputIsPresent() {
        Map<String, Map<String, Object>> outputs = template.findOutputs("*");
        assertThat(outputs)
                .containsKeys(
                        "ServiceUrl",
                        "AlbDnsName",
                        "EcsServiceName",
                        "CloudWatchLogGroup",
                        "EcsClusterName",
                        "MigrateCommand",
                        "DatabaseSecretArn",
                        "BootstrapAdminSecretArn");
        template.hasOutput("ServiceUrl", Map.of("Value", "https://idp.example.com"));
        String migrate = outputs.get("MigrateCommand").toString();
        assertThat(migrate)
                .contains(
                        "aws ecs run-task --region us-east-1",
                        "--launch-type FARGATE",
                        "assignPublicIp=DISABLED",
                        "--task-definition ");
    }

    /**
     * docs/deployment.md §2.4 runs the MigrateCommand output with {@code eval "$(…)"}. A plain {@code $(…)} splits
     * words but keeps quotes literal, so the AWS CLI would receive {@code 'awsvpcConfiguration=…'} with its quotes
     * and refuse it (bash manual, "Command Substitution" and "Quote Removal": quote removal does not apply to the
     * results of expansions). This runs the documented form in bash and checks the argument vector the CLI gets.
     */
    @Test
    void theMigrateCommandRunsAsDocumented() throws Exception {
        String command = resolve(
                template.findOutputs("MigrateCommand").get("MigrateCommand").get("Value"));
        List<String> documented = argv("eval \"set -- $(printf %s \"$CMD\")\"; printf '%s\\n' \"$@\"", command);
        assertThat(documented)
                .containsExactly(
                        "aws",
                        "ecs",
                        "run-task",
                        "--region",
                        "us-east-1",
                        "--cluster",
                        "ref-ServiceCluster",
                        "--task-definition",
                        "sentryagent-agentidp-production-migrate",
                        "--launch-type",
                        "FARGATE",
                        "--network-configuration",
                        "awsvpcConfiguration={subnets=[ref-NetworkVpcprivateSubnet1Subnet,"
                                + "ref-NetworkVpcprivateSubnet2Subnet],securityGroups=[getatt-ServiceSecurityGroup],"
                                + "assignPublicIp=DISABLED}");
        // The form the docs used to give: the quotes reach the CLI.
        List<String> plain = argv("set -- $(printf %s \"$CMD\"); printf '%s\\n' \"$@\"", command);
        assertThat(plain.get(plain.size() - 1)).startsWith("'awsvpcConfiguration=");
    }

    private static List<String> argv(String script, String command) throws Exception {
        ProcessBuilder bash = new ProcessBuilder("bash", "-c", script);
        bash.environment().put("CMD", command);
        Process process = bash.start();
        String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor()).isZero();
        return List.of(out.split("\n"));
    }

    /** The output's Fn::Join with Refs and GetAtts replaced by readable stand-ins (logical ids without hashes). */
    private static String resolve(Object value) {
        if (value instanceof String text) {
            return text;
        }
        Map<?, ?> map = (Map<?, ?>) value;
        if (map.get("Ref") instanceof String ref) {
            return "ref-" + ref.replaceAll("[0-9A-F]{8}$", "");
        }
        if (map.get("Fn::GetAtt") instanceof List<?> att) {
            return "getatt-" + String.valueOf(att.get(0)).replaceAll("[0-9A-F]{8}$", "");
        }
        List<?> join = (List<?>) map.get("Fn::Join");
        return ((List<?>) join.get(1))
                .stream().map(ProductionTemplateTest::resolve).collect(java.util.stream.Collectors.joining((String)
                        join.get(0)));
    }

    @Test
    void statefulResourcesKeepTheirLogicalIds() {
        assertThat(resources("AWS::RDS::DBInstance")).containsOnlyKeys(Database.LOGICAL_ID);
        assertThat(resources("AWS::ElastiCache::ReplicationGroup")).containsOnlyKeys(Cache.LOGICAL_ID);
        assertThat(resources("AWS::S3::Bucket")).containsOnlyKeys(Edge.ACCESS_LOGS_LOGICAL_ID);
        assertThat(resources("AWS::SecretsManager::Secret"))
                .containsKeys(
                        "SecretRedisAuthToken",
                        "SecretCredentialHashKey",
                        "SecretAuditChainKey",
                        "SecretBootstrapAdminSecret",
                        "SecretDatabaseUrl",
                        "SecretRedisUrl");
        assertThat(resources("AWS::Logs::LogGroup")).containsKey(Service.LOG_GROUP_LOGICAL_ID);
    }

    @Test
    void noSecretValueAppearsInTheTemplate() {
        List<Pattern> secretLooking = List.of(
                Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----"),
                Pattern.compile("AKIA[0-9A-Z]{16}"),
                Pattern.compile("sa_cs_[A-Za-z0-9_-]{20,}"),
                Pattern.compile("\"(MasterUserPassword|AuthToken|SecretString|Password)\":\"[^{\"]"),
                Pattern.compile("(postgres|rediss?)://[^\"{]*:[^\"{@]+@"));
        for (Pattern pattern : secretLooking) {
            assertThat(pattern.matcher(json).find()).as(pattern.pattern()).isFalse();
        }
        // And the way the scan would catch one: a literal password is found.
        assertThat(secretLooking
                        .get(3)
                        .matcher("{\"AuthToken\":\"hunter2hunter2hunter2\"}")
                        .find())
                .isTrue();
    }

    @Test
    void productionHasTerminationProtection() {
        App app = CdkContext.app(Map.of("env", "production"));
        assertThat(AgentIdpApp.build(app, CdkContext.repositoryRoot()).getTerminationProtection())
                .isTrue();
    }
}
