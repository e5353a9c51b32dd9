package ai.sentryagent.agentidp.infra.aws;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The settings of one environment, read once from {@code cdk.json} context ({@code agentidp.<env>.<key>}, where a
 * top-level {@code -c <key>=<value>} overrides the file) and validated. A missing or malformed key fails synth with
 * a message naming it. No secret is ever read from context.
 */
public record Settings(
        String environment,
        String account,
        String region,
        String domainName,
        String hostedZoneId,
        String hostedZoneName,
        Optional<String> certificateArn,
        String imageRepository,
        int desiredCount,
        int maxCount,
        int cpu,
        int memoryMiB,
        String dbInstanceClass,
        int dbAllocatedStorageGiB,
        int dbBackupRetentionDays,
        String postgresVersion,
        String cacheNodeType,
        int natGateways,
        int maxAzs,
        int logRetentionDays,
        Optional<String> alarmEmail,
        boolean waf,
        int wafTokenRateLimit,
        Map<String, String> features,
        Optional<String> corsOrigin,
        String jwtPrivateKeySecretArn,
        String jwtPublicKeySecretArn,
        Optional<String> alarmTopicArn,
        boolean ecsExec,
        List<String> availabilityZones,
        String s3PrefixListId,
        boolean retainData,
        DatabaseIdentity database,
        Optional<Kafka> kafka) {

    /**
     * How the service reaches PostgreSQL. {@code caBundleFile} is the RDS CA bundle of the region, checked in
     * (downloaded once from {@code https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem}): with it
     * the service verifies the server ({@code sslmode=verify-full}); without it the connection is encrypted but not
     * verified ({@code require}) and synth warns. {@code bootstrap} is the one-deploy switch that lets the service
     * connect as the migrator until {@code migrate} has created the runtime role (docs/deployment.md, §2.4).
     */
    public record DatabaseIdentity(Optional<String> caBundleFile, boolean bootstrap) {}

    /**
     * The optional audit stream: brokers ({@code host:port,…}) and the complete ARN of a JSON secret with
     * {@code username} and {@code password} (SASL/SCRAM-SHA-512 over TLS, as Amazon MSK's SCRAM secrets are).
     */
    public record Kafka(String brokers, String credentialsSecretArn, List<Integer> ports) {}

    private static final Pattern BROKERS = Pattern.compile("[a-z0-9.-]+:\\d{1,5}(,[a-z0-9.-]+:\\d{1,5})*");
    private static final Pattern PEM_FILE = Pattern.compile("[A-Za-z0-9._/-]+\\.pem");

    /** Feature flags the service understands, with the defaults this build ships (see the service's docs). */
    static final Map<String, String> FEATURE_DEFAULTS = Map.of(
            "ANALYTICS_ENABLED", "false",
            "TIER_ENFORCEMENT", "false",
            "COMPLIANCE_ENABLED", "false",
            "BILLING_ENABLED", "false",
            "REDIS_RATE_LIMIT_ENABLED", "true");

    /**
     * Switches the service refuses at startup ("asks for …, which this build of AgentIdP does not implement"):
     * refused at synth instead, naming the key, before a deploy whose every task would crash.
     */
    static final Map<String, String> REFUSED_WHEN_TRUE = Map.of(
            "ANALYTICS_ENABLED", "usage analytics",
            "TIER_ENFORCEMENT", "plan tier enforcement",
            "COMPLIANCE_ENABLED", "compliance reporting",
            "BILLING_ENABLED", "billing (Stripe)");

    private static final Pattern ENVIRONMENT = Pattern.compile("[a-z][a-z0-9-]{0,19}");
    private static final Pattern ACCOUNT = Pattern.compile("\\d{12}");
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-gov)?-[a-z]+-\\d");
    private static final Pattern DOMAIN = Pattern.compile("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}");
    private static final Pattern ZONE_ID = Pattern.compile("Z[A-Z0-9]{1,31}");
    private static final Pattern CERTIFICATE =
            Pattern.compile("arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/[A-Za-z0-9-]+");
    /** An ECR repository URI, without tag or digest: the digest comes from deploy/image.json only. */
    private static final Pattern IMAGE_REPOSITORY = Pattern.compile("[a-z0-9][a-z0-9._/-]*");

    /** The repository of stack AgentIdp-registry in the environment's own account and region. */
    static final String DEFAULT_REPOSITORY = "sentryagent/agentidp";

    private static final Pattern INSTANCE_CLASS = Pattern.compile("[a-z][a-z0-9-]*\\.[a-z0-9]+");
    private static final Pattern CACHE_NODE = Pattern.compile("cache\\.[a-z0-9-]+\\.[a-z0-9]+");
    /**
     * A complete Secrets Manager ARN: the name followed by the six random characters Secrets Manager appends. ECS
     * fetches a task secret by exactly this ARN (aws-cdk issues 18555, 20744); a partial ARN fails every task start
     * with AccessDeniedException.
     */
    static final Pattern COMPLETE_SECRET_ARN = Pattern.compile(
            "arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\\d{12}):secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}");

    private static final Pattern TOPIC_ARN =
            Pattern.compile("arn:aws[a-z-]*:sns:([a-z0-9-]+):(\\d{12}):[A-Za-z0-9_-]{1,256}");
    private static final Pattern ZONE = Pattern.compile("[a-z]{2}(-gov)?-[a-z]+-\\d[a-z]");
    private static final Pattern PREFIX_LIST = Pattern.compile("pl-[0-9a-f]{8,17}");

    /** Zones and the S3 managed prefix list known for a region, used when the context does not name them. */
    private static final Map<String, List<String>> DEFAULT_ZONES =
            Map.of("us-east-1", List.of("us-east-1a", "us-east-1b", "us-east-1c"));

    private static final Map<String, String> DEFAULT_S3_PREFIX_LISTS = Map.of("us-east-1", "pl-63a5400a");

    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
    private static final List<Integer> LOG_RETENTION = List.of(
            1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653);

    /** Fargate CPU units and the memory sizes each allows (MiB). */
    private static final Map<Integer, int[]> FARGATE = Map.of(
            256, new int[] {512, 1024, 2048},
            512, new int[] {1024, 2048, 3072, 4096},
            1024, new int[] {2048, 3072, 4096, 5120, 6144, 7168, 8192},
            2048, new int[] {4096, 5120, 6144, 7168, 8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384},
            4096,
                    new int[] {
                        8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384, 17408, 18432, 19456, 20480, 21504,
                        22528, 23552, 24576, 25600, 26624, 27648, 28672, 29696, 30720
                    });

    /**
     * Reads the environment's settings.
     *
     * @param environment the selected environment ({@code -c env=...})
     * @param context looks up a context value by key: {@code agentidp} (the per-environment map) or an override
     */
    @SuppressWarnings("unchecked")
    public static Settings read(String environment, Function<String, Object> context) {
        List<String> problems = new ArrayList<>();
        if (environment == null || !ENVIRONMENT.matcher(environment).matches()) {
            throw new IllegalArgumentException("cdk.json context: env must be 1-20 lowercase letters, digits or hyphens"
                    + " starting with a letter, got '" + environment + "'");
        }
        Object all = context.apply("agentidp");
        if (!(all instanceof Map<?, ?> environments) || !(environments.get(environment) instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("cdk.json context: agentidp." + environment
                    + " is missing; add an object with this environment's settings (see docs/deployment.md)");
        }
        Map<String, Object> values = new LinkedHashMap<>((Map<String, Object>) environments.get(environment));
        Reader r = new Reader("agentidp." + environment + ".", values, context, problems);

        String account = r.string("account", ACCOUNT, "a 12-digit AWS account id", null);
        String region = r.string("region", REGION, "an AWS region such as us-east-1", null);
        String domainName = r.string("domainName", DOMAIN, "a DNS name such as idp.example.com", null);
        String hostedZoneId =
                r.string("hostedZoneId", ZONE_ID, "a Route 53 hosted zone id such as Z0123456789ABC", null);
        String hostedZoneName =
                r.string("hostedZoneName", DOMAIN, "the hosted zone's DNS name such as example.com", null);
        // Absent: the stack creates the certificate and validates it through DNS in the hosted zone.
        Optional<String> certificateArn = r.optionalString("certificateArn", CERTIFICATE, "an ACM certificate ARN");
        if (values.containsKey("image") || context.apply("image") != null) {
            // Removed key, named on its own: a tag is exactly what must not be deployed any more.
            problems.add("agentidp." + environment + ".image is no longer read: every environment deploys the digest"
                    + " recorded in " + DeployedImage.FILE + " (./mvnw -Pimage,deploy); remove it, or set"
                    + " imageRepository (<account>.dkr.ecr.<region>.amazonaws.com/<repository>, no tag) to use"
                    + " another repository");
            values.remove("image");
        }
        Optional<String> imageRepositoryOverride = r.optionalString(
                "imageRepository",
                IMAGE_REPOSITORY,
                "an ECR repository without tag or digest (<account>.dkr.ecr.<region>.amazonaws.com/<repository>):"
                        + " tasks run the digest of " + DeployedImage.FILE);
        int desiredCount = r.integer("desiredCount", 2, 2, 100);
        int maxCount = r.integer("maxCount", Math.max(desiredCount, desiredCount * 3), 2, 400);
        int cpu = r.integer("cpu", 1024, 256, 4096);
        int memoryMiB = r.integer("memoryMiB", 2048, 512, 30720);
        String dbInstanceClass =
                r.string("dbInstanceClass", INSTANCE_CLASS, "an instance class such as r6g.large", "t4g.medium");
        int dbStorage = r.integer("dbAllocatedStorageGiB", 50, 20, 65536);
        int backupDays = r.integer("dbBackupRetentionDays", 14, 7, 35);
        String postgresVersion =
                r.string("postgresVersion", Pattern.compile("1[4-7]"), "a PostgreSQL major version, 14 to 17", "14");
        String cacheNodeType =
                r.string("cacheNodeType", CACHE_NODE, "a node type such as cache.r7g.large", "cache.t4g.medium");
        int maxAzs = r.integer("maxAzs", 2, 2, 3);
        int natGateways = r.integer("natGateways", maxAzs, 1, 3);
        int logRetentionDays = r.integer("logRetentionDays", 90, 1, 3653);
        Optional<String> alarmEmail = r.optionalString("alarmEmail", EMAIL, "an e-mail address");
        boolean waf = r.bool("waf", true);
        int wafRate = r.integer("wafTokenRateLimit", 1000, 100, 2_000_000_000);
        Optional<String> cors =
                r.optionalString("corsOrigin", Pattern.compile("[^\\s]+"), "a comma-separated list of origins");
        String jwtPrivateKeyArn = r.string(
                "jwtPrivateKeySecretArn",
                COMPLETE_SECRET_ARN,
                "the complete ARN of the jwt-private-key secret, with its 6-character suffix"
                        + " (aws secretsmanager describe-secret --query ARN)",
                null);
        String jwtPublicKeyArn = r.string(
                "jwtPublicKeySecretArn",
                COMPLETE_SECRET_ARN,
                "the complete ARN of the jwt-public-key secret, with its 6-character suffix"
                        + " (aws secretsmanager describe-secret --query ARN)",
                null);
        Optional<String> alarmTopicArn = r.optionalString("alarmTopicArn", TOPIC_ARN, "an SNS topic ARN");
        boolean ecsExec = r.bool("ecsExec", false);
        // Off for a first create, so that a failed one rolls back completely and can be retried; on afterwards.
        boolean retainData = r.bool("retainData", false);
        List<String> zones = r.stringList("availabilityZones", ZONE, "availability zone names such as us-east-1a");
        String s3PrefixList = r.string(
                "s3PrefixListId",
                PREFIX_LIST,
                "the id of the region's S3 managed prefix list (aws ec2 describe-managed-prefix-lists"
                        + " --filters Name=prefix-list-name,Values=com.amazonaws.<region>.s3)",
                region == null ? null : DEFAULT_S3_PREFIX_LISTS.getOrDefault(region, null));

        Optional<String> caBundleFile = r.optionalString(
                "databaseCaBundleFile", PEM_FILE, "a repository-relative path to the region's RDS CA bundle (.pem)");
        boolean databaseBootstrap = r.bool("databaseBootstrap", false);
        Optional<String> kafkaBrokers =
                r.optionalString("kafkaBrokers", BROKERS, "a comma-separated list of host:port (KAFKA_BROKERS)");
        Optional<String> kafkaSecret = r.optionalString(
                "kafkaCredentialsSecretArn",
                COMPLETE_SECRET_ARN,
                "the complete ARN (with its 6-character suffix) of a JSON secret with username and password");
        Optional<Kafka> kafka = Optional.empty();
        if (kafkaBrokers.isPresent() != kafkaSecret.isPresent()) {
            problems.add("agentidp." + environment + ".kafkaBrokers and kafkaCredentialsSecretArn go together:"
                    + " set both or neither");
        } else if (kafkaBrokers.isPresent()) {
            List<Integer> ports = java.util.Arrays.stream(kafkaBrokers.get().split(","))
                    .map(broker -> Integer.parseInt(broker.substring(broker.lastIndexOf(':') + 1)))
                    .distinct()
                    .sorted()
                    .toList();
            if (ports.stream().anyMatch(port -> port < 1 || port > 65535)) {
                problems.add("agentidp." + environment + ".kafkaBrokers: ports must be 1-65535");
            }
            kafka = Optional.of(new Kafka(kafkaBrokers.get(), kafkaSecret.get(), ports));
        }

        if (maxCount < desiredCount) {
            problems.add("agentidp." + environment + ".maxCount (" + maxCount + ") must be at least desiredCount ("
                    + desiredCount + ")");
        }
        if (natGateways > maxAzs) {
            problems.add("agentidp." + environment + ".natGateways (" + natGateways + ") must not exceed maxAzs ("
                    + maxAzs + ")");
        }
        int[] memories = FARGATE.get(cpu);
        if (memories == null) {
            problems.add("agentidp." + environment + ".cpu must be one of 256, 512, 1024, 2048, 4096, got " + cpu);
        } else if (java.util.Arrays.stream(memories).noneMatch(m -> m == memoryMiB)) {
            problems.add("agentidp." + environment + ".memoryMiB " + memoryMiB + " is not valid with cpu " + cpu
                    + " on Fargate (allowed: " + java.util.Arrays.toString(memories) + ")");
        }
        if (!LOG_RETENTION.contains(logRetentionDays)) {
            problems.add("agentidp." + environment + ".logRetentionDays must be one of " + LOG_RETENTION);
        }
        if (domainName != null
                && hostedZoneName != null
                && !(domainName.equals(hostedZoneName) || domainName.endsWith("." + hostedZoneName))) {
            problems.add("agentidp." + environment + ".domainName " + domainName + " is not inside hostedZoneName "
                    + hostedZoneName);
        }
        if (certificateArn.isPresent()
                && region != null
                && !certificateArn.get().contains(":acm:" + region + ":")) {
            problems.add("agentidp." + environment + ".certificateArn must be in region " + region
                    + " (an ALB only uses certificates from its own region)");
        }
        String p = "agentidp." + environment + ".";
        for (var arn : List.of(
                Map.entry("jwtPrivateKeySecretArn", Optional.ofNullable(jwtPrivateKeyArn)),
                Map.entry("jwtPublicKeySecretArn", Optional.ofNullable(jwtPublicKeyArn)),
                Map.entry("kafkaCredentialsSecretArn", kafkaSecret),
                Map.entry("alarmTopicArn", alarmTopicArn))) {
            arn.getValue().ifPresent(value -> {
                String[] parts = value.split(":");
                if (region != null && !parts[3].equals(region) || account != null && !parts[4].equals(account)) {
                    problems.add(p + arn.getKey() + " must be in account " + account + " and region " + region
                            + ", got '" + value + "'");
                }
            });
        }
        String imageRepository =
                imageRepositoryOverride.orElse(account + ".dkr.ecr." + region + ".amazonaws.com/" + DEFAULT_REPOSITORY);
        imageRepositoryOverride.ifPresent(reference -> {
            String[] ecr = reference.split("\\.", 5);
            if (!reference.matches("\\d{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/[a-z0-9._/-]+")
                    || region != null && !ecr[3].equals(region)) {
                problems.add(p + "imageRepository must be an ECR repository in " + region + " (<account>.dkr.ecr."
                        + region + ".amazonaws.com/<repository>): the tasks' egress reaches only the VPC endpoints,"
                        + " got '" + reference + "'");
            }
        });
        if (environment.equals("production") && alarmEmail.isEmpty() && alarmTopicArn.isEmpty()) {
            problems.add(p + "alarmEmail or " + p + "alarmTopicArn is required in production: alarms must reach a"
                    + " person");
        }
        if (zones.isEmpty() && region != null) {
            zones = DEFAULT_ZONES.getOrDefault(region, List.of());
            if (zones.isEmpty()) {
                problems.add(p + "availabilityZones is required in " + region + " (no default): list at least maxAzs"
                        + " zones, e.g. from aws ec2 describe-availability-zones --region " + region);
            }
        }
        if (!zones.isEmpty() && region != null) {
            for (String zone : zones) {
                if (!zone.startsWith(region)) {
                    problems.add(p + "availabilityZones: " + zone + " is not in region " + region);
                }
            }
            if (zones.size() < maxAzs) {
                problems.add(
                        p + "availabilityZones lists " + zones.size() + " zones, fewer than maxAzs (" + maxAzs + ")");
            } else {
                zones = List.copyOf(zones.subList(0, maxAzs));
            }
        }
        Map<String, String> features = new LinkedHashMap<>(FEATURE_DEFAULTS);
        Object flags = values.remove("features");
        if (flags != null) {
            if (!(flags instanceof Map<?, ?> map)) {
                problems.add("agentidp." + environment + ".features must be an object of flag: true|false");
            } else {
                map.forEach((key, value) -> {
                    if (!FEATURE_DEFAULTS.containsKey(String.valueOf(key))) {
                        problems.add("agentidp." + environment + ".features." + key + " is not a known flag (known: "
                                + String.join(
                                        ", ",
                                        FEATURE_DEFAULTS.keySet().stream()
                                                .sorted()
                                                .toList()) + ")");
                    } else if (!(value instanceof Boolean)) {
                        problems.add("agentidp." + environment + ".features." + key + " must be true or false");
                    } else if (Boolean.TRUE.equals(value) && REFUSED_WHEN_TRUE.containsKey(String.valueOf(key))) {
                        problems.add("agentidp." + environment + ".features." + key + "=true asks for "
                                + REFUSED_WHEN_TRUE.get(String.valueOf(key)) + ", which this build of AgentIdP does"
                                + " not implement (the service refuses to start with it); set it to false");
                    } else {
                        features.put(String.valueOf(key), String.valueOf(value));
                    }
                });
            }
        }
        for (String key : values.keySet()) {
            if (!r.consumed.contains(key)) {
                problems.add("agentidp." + environment + "." + key + " is not a known setting");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("cdk.json context: " + String.join("; ", problems));
        }
        return new Settings(
                environment,
                account,
                region,
                domainName,
                hostedZoneId,
                hostedZoneName,
                certificateArn,
                imageRepository,
                desiredCount,
                maxCount,
                cpu,
                memoryMiB,
                dbInstanceClass,
                dbStorage,
                backupDays,
                postgresVersion,
                cacheNodeType,
                natGateways,
                maxAzs,
                logRetentionDays,
                alarmEmail,
                waf,
                wafRate,
                Map.copyOf(features),
                cors,
                jwtPrivateKeyArn,
                jwtPublicKeyArn,
                alarmTopicArn,
                ecsExec,
                zones,
                s3PrefixList,
                retainData,
                new DatabaseIdentity(caBundleFile, databaseBootstrap),
                kafka);
    }

    /** Typed reads with problems collected; a top-level context value of the same key wins over the file. */
    private static final class Reader {
        private final String prefix;
        private final Map<String, Object> values;
        private final Function<String, Object> context;
        private final List<String> problems;
        private final java.util.Set<String> consumed = new java.util.HashSet<>();

        Reader(String prefix, Map<String, Object> values, Function<String, Object> context, List<String> problems) {
            this.prefix = prefix;
            this.values = values;
            this.context = context;
            this.problems = problems;
        }

        private Object raw(String key) {
            consumed.add(key);
            Object override = context.apply(key);
            return override != null ? override : values.get(key);
        }

        String string(String key, Pattern pattern, String expected, String fallback) {
            Object value = raw(key);
            if (value == null) {
                if (fallback == null) {
                    problems.add(prefix + key + " is required (" + expected + ")");
                }
                return fallback;
            }
            String text = String.valueOf(value);
            if (!pattern.matcher(text).matches()) {
                problems.add(prefix + key + " must be " + expected + ", got '" + text + "'");
                return fallback;
            }
            return text;
        }

        Optional<String> optionalString(String key, Pattern pattern, String expected) {
            Object value = raw(key);
            if (value == null || String.valueOf(value).isEmpty()) {
                return Optional.empty();
            }
            return Optional.ofNullable(string(key, pattern, expected, null));
        }

        int integer(String key, int fallback, int min, int max) {
            Object value = raw(key);
            if (value == null) {
                return fallback;
            }
            try {
                int number = value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                        ? n.intValue()
                        : Integer.parseInt(String.valueOf(value));
                if (number < min || number > max) {
                    problems.add(prefix + key + " must be between " + min + " and " + max + ", got " + number);
                    return fallback;
                }
                return number;
            } catch (NumberFormatException e) {
                problems.add(prefix + key + " must be a whole number, got '" + value + "'");
                return fallback;
            }
        }

        List<String> stringList(String key, Pattern pattern, String expected) {
            Object value = raw(key);
            if (value == null) {
                return List.of();
            }
            if (value instanceof String text) {
                // -c availabilityZones=us-east-1a,us-east-1b on the command line
                value = List.of(text.split(","));
            }
            if (!(value instanceof List<?> list) || list.isEmpty()) {
                problems.add(prefix + key + " must be a non-empty list of " + expected);
                return List.of();
            }
            List<String> items = new ArrayList<>();
            for (Object item : list) {
                String text = String.valueOf(item);
                if (!pattern.matcher(text).matches()) {
                    problems.add(prefix + key + " must hold " + expected + ", got '" + text + "'");
                } else {
                    items.add(text);
                }
            }
            return items;
        }

        boolean bool(String key, boolean fallback) {
            Object value = raw(key);
            if (value == null) {
                return fallback;
            }
            if (value instanceof Boolean b) {
                return b;
            }
            String text = String.valueOf(value);
            if (text.equals("true") || text.equals("false")) {
                return Boolean.parseBoolean(text);
            }
            problems.add(prefix + key + " must be true or false, got '" + text + "'");
            return fallback;
        }
    }
}
