package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.Context;
import com.pulumi.core.Output;
import com.pulumi.core.TypeShape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The stack's settings, read once from {@code Pulumi.<stack>.yaml} and validated: a missing or malformed key fails
 * with a message naming it. Secrets stay {@link Output}s marked secret end to end; they are never read as plain
 * strings.
 */
public record GcpConfig(
        String project,
        String region,
        String stack,
        Names names,
        String image,
        String imageDigest,
        String domain,
        Optional<String> dnsZone,
        Optional<String> awsIssuerUrl,
        String postgresVersion,
        String sqlTier,
        int sqlDiskSizeGb,
        int redisMemorySizeGb,
        String runCpu,
        String runMemory,
        int minInstances,
        int maxInstances,
        int concurrency,
        String connectorMachineType,
        int connectorMinInstances,
        int connectorMaxInstances,
        Map<String, String> features,
        Optional<String> alertEmail,
        int tokenRateLimitPerMinute,
        int logRetentionDays,
        Optional<String> kafkaBrokers,
        Secrets secrets) {

    /**
     * {@code ISSUER_URL}: the domain this stack's load balancer serves. Each cloud is its own issuer with its own
     * signing key (docs/deployment.md, "The cross-cloud model"), so it is never the AWS host name.
     */
    public String issuerUrl() {
        return "https://" + domain;
    }

    /**
     * The secret inputs: the JWT key pair typed in once, and one random seed per generated secret, so that each can
     * be rotated alone (a shared seed made rotating the database password invalidate every client secret).
     */
    public record Secrets(
            Output<String> jwtPrivateKey,
            Output<String> jwtPublicKey,
            Output<String> databasePasswordSeed,
            Output<String> credentialHashKeySeed,
            Output<String> auditChainKeySeed,
            Output<String> bootstrapAdminSecretSeed,
            Output<String> databaseRuntimePasswordSeed,
            Optional<Output<Map<String, String>>> kafkaCredentials) {}

    /** The stack config keys of the generated secrets' seeds. */
    static final List<String> SEED_KEYS = List.of(
            "databasePasswordSeed",
            "credentialHashKeySeed",
            "auditChainKeySeed",
            "bootstrapAdminSecretSeed",
            "databaseRuntimePasswordSeed");

    /**
     * Switches the service refuses at startup ("asks for …, which this build of AgentIdP does not implement"):
     * refused here, before anything is declared, instead of crashing every instance.
     */
    static final Map<String, String> REFUSED_WHEN_TRUE = Map.of(
            "agentidp:analyticsEnabled", "usage analytics",
            "agentidp:tierEnforcement", "plan tier enforcement",
            "agentidp:complianceEnabled", "compliance reporting",
            "agentidp:billingEnabled", "billing (Stripe)");

    /** Feature flags: stack config key, service variable, default. */
    static final List<String[]> FEATURES = List.of(
            new String[] {"agentidp:analyticsEnabled", "ANALYTICS_ENABLED", "false"},
            new String[] {"agentidp:tierEnforcement", "TIER_ENFORCEMENT", "false"},
            new String[] {"agentidp:complianceEnabled", "COMPLIANCE_ENABLED", "false"},
            new String[] {"agentidp:billingEnabled", "BILLING_ENABLED", "false"},
            new String[] {"agentidp:redisRateLimitEnabled", "REDIS_RATE_LIMIT_ENABLED", "true"});

    private static final Pattern PROJECT = Pattern.compile("[a-z][a-z0-9-]{4,28}[a-z0-9]");
    private static final Pattern REGION = Pattern.compile("[a-z]+-[a-z]+[0-9]");
    /** An Artifact Registry repository path without tag or digest: the digest comes from deploy/image.json only. */
    private static final Pattern IMAGE_REPOSITORY = Pattern.compile("[a-z0-9-]+-docker\\.pkg\\.dev/[a-z0-9._/-]+");

    private static final Pattern HTTPS_URL = Pattern.compile("https://[a-z0-9.-]+(:\\d+)?(/[^\\s?#]*)?");
    /**
     * A Google-managed certificate's domain: a fully qualified name of lowercase labels of at most 63 characters, no
     * wildcard (Cloud Load Balancing, "Google-managed SSL certificates": wildcard domains are not supported, each
     * domain at most 253 characters).
     */
    private static final Pattern DOMAIN = Pattern.compile("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}");
    /** A Cloud DNS managed zone's name (1-63 characters, a letter first). */
    private static final Pattern ZONE = Pattern.compile("[a-z]([a-z0-9-]{0,61}[a-z0-9])?");

    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[a-z]{2,}");
    /** host:port, comma-separated (the service's KAFKA_BROKERS). */
    private static final Pattern BROKERS = Pattern.compile("[a-z0-9.-]+:\\d{1,5}(,[a-z0-9.-]+:\\d{1,5})*");

    private static final Pattern POSTGRES = Pattern.compile("POSTGRES_1[4-7]");
    private static final Pattern SQL_TIER = Pattern.compile("db-(custom-\\d+-\\d+|[a-z0-9-]+)");
    private static final Pattern CPU = Pattern.compile("[1248]|1000m|2000m|4000m|8000m");
    private static final Pattern MEMORY = Pattern.compile("\\d+(Mi|Gi)");
    private static final Pattern MACHINE = Pattern.compile("(e2-micro|e2-standard-4|f1-micro)");

    /** Reads the running stack's configuration. */
    public static GcpConfig from(Context ctx) {
        com.pulumi.Config gcp = ctx.config("gcp");
        com.pulumi.Config own = ctx.config();
        Secrets secrets = new Secrets(
                own.requireSecret("jwtPrivateKey"),
                own.requireSecret("jwtPublicKey"),
                own.requireSecret("databasePasswordSeed"),
                own.requireSecret("credentialHashKeySeed"),
                own.requireSecret("auditChainKeySeed"),
                own.requireSecret("bootstrapAdminSecretSeed"),
                own.requireSecret("databaseRuntimePasswordSeed"),
                // A JSON object {"username": …, "password": …}, like the AWS stack's kafkaCredentialsSecretArn; only
                // read when brokers are configured.
                own.get("kafkaBrokers")
                        .filter(v -> !v.isBlank())
                        .map(brokers -> own.requireSecretObject(
                                "kafkaCredentialsSecret", TypeShape.map(String.class, String.class))));
        return parse(
                DeployedImage.readFromRepository(),
                ctx.stackName(),
                key -> key.startsWith("gcp:")
                        ? gcp.get(key.substring(4))
                        : own.get(key.substring("agentidp:".length())),
                secrets);
    }

    /**
     * Parses settings from a lookup of fully qualified keys ({@code gcp:project}, {@code agentidp:issuerUrl}) and the
     * image record of {@code deploy/image.json}. Tests call this with a map and the committed record.
     */
    public static GcpConfig parse(
            DeployedImage deployed, String stack, Function<String, Optional<String>> lookup, Secrets secrets) {
        Reader r = new Reader(lookup);
        String project =
                r.string("gcp:project", PROJECT, "a GCP project id (6-30 lowercase letters, digits, hyphens)", null);
        String region = r.string("gcp:region", REGION, "a GCP region such as us-central1", null);
        if (lookup.apply("agentidp:image").isPresent()) {
            // Removed key, named on its own: a tag is exactly what must not be deployed any more.
            r.problems.add("agentidp:image is no longer read: every stack deploys the digest recorded in "
                    + DeployedImage.FILE + " (./mvnw -Pimage,deploy); pulumi config rm agentidp:image, or set"
                    + " agentidp:imageRepository (<region>-docker.pkg.dev/<project>/<repository>/<image>, no tag) to"
                    + " use another repository");
        }
        String imageRepository = r.string(
                "agentidp:imageRepository",
                IMAGE_REPOSITORY,
                "an Artifact Registry image path without tag or digest (<region>-docker.pkg.dev/<project>/"
                        + "<repository>/<image>): Cloud Run runs the digest of " + DeployedImage.FILE,
                region + "-docker.pkg.dev/" + project + "/" + Registry.REPOSITORY + "/" + Registry.IMAGE);
        String image = imageRepository + "@" + deployed.digest();
        if (lookup.apply("agentidp:issuerUrl").filter(v -> !v.isBlank()).isPresent()) {
            r.problems.add("agentidp:issuerUrl is replaced by agentidp:domain (ISSUER_URL is https://<domain>, the"
                    + " name the load balancer serves): pulumi config rm agentidp:issuerUrl");
        }
        String domain = r.string(
                "agentidp:domain",
                DOMAIN,
                "the DNS name the load balancer serves, such as idp-gcp.example.com (no wildcard)",
                null);
        if (domain != null && domain.length() > 253) {
            r.problems.add("agentidp:domain must be at most 253 characters (Google-managed certificates)");
        }
        Optional<String> dnsZone = r.optional("agentidp:dnsZone", ZONE, "a Cloud DNS managed zone name");
        Optional<String> awsIssuerUrl = r.optional(
                "agentidp:awsIssuerUrl", HTTPS_URL, "the AWS environment's ISSUER_URL (https://<its domainName>)");
        if (domain != null
                && awsIssuerUrl.isPresent()
                && awsIssuerUrl.get().replaceAll("/+$", "").equals("https://" + domain)) {
            r.problems.add("agentidp:domain " + domain + " is the AWS environment's issuer (agentidp:awsIssuerUrl):"
                    + " each cloud is its own issuer with its own signing key, so that a client registered in one"
                    + " cloud gets no token the other cloud's resource servers accept (docs/deployment.md, \"The"
                    + " cross-cloud model\"); give GCP its own domain");
        }
        String postgresVersion =
                r.string("agentidp:postgresVersion", POSTGRES, "POSTGRES_14 to POSTGRES_17", "POSTGRES_14");
        String sqlTier =
                r.string("agentidp:sqlTier", SQL_TIER, "a Cloud SQL tier such as db-custom-2-7680", "db-custom-2-7680");
        int sqlDisk = r.integer("agentidp:sqlDiskSizeGb", 50, 10, 65536);
        int redisMemory = r.integer("agentidp:redisMemorySizeGb", 1, 1, 300);
        String runCpu = r.string("agentidp:runCpu", CPU, "1, 2, 4 or 8 (vCPU)", "1");
        String runMemory = r.string("agentidp:runMemory", MEMORY, "a size such as 1Gi or 512Mi", "1Gi");
        int minInstances = r.integer("agentidp:minInstances", 2, 1, 1000);
        if (stack.equals("production") && minInstances < 2) {
            r.problems.add("agentidp:minInstances must be at least 2 in production (N+1, like AWS's two tasks), got "
                    + minInstances);
        }
        int maxInstances = r.integer("agentidp:maxInstances", 10, 1, 1000);
        int concurrency = r.integer("agentidp:concurrency", 80, 1, 1000);
        String connectorMachine =
                r.string("agentidp:connectorMachineType", MACHINE, "e2-micro, e2-standard-4 or f1-micro", "e2-micro");
        int connectorMin = r.integer("agentidp:connectorMinInstances", 2, 2, 9);
        int connectorMax = r.integer("agentidp:connectorMaxInstances", 3, 3, 10);
        if (maxInstances < minInstances) {
            r.problems.add("agentidp:maxInstances (" + maxInstances + ") must be at least agentidp:minInstances ("
                    + minInstances + ")");
        }
        if (connectorMax <= connectorMin) {
            r.problems.add("agentidp:connectorMaxInstances must be greater than agentidp:connectorMinInstances");
        }
        Map<String, String> features = r.features();
        Optional<String> alertEmail = r.optional("agentidp:alertEmail", EMAIL, "an e-mail address");
        if (stack.equals("production") && alertEmail.isEmpty()) {
            r.problems.add("agentidp:alertEmail is required in production: alerts must reach a person");
        }
        // Cloud Armor rate-based ban thresholds: 1 to 10,000 requests per interval (Cloud Armor, "Rate limiting
        // overview").
        int tokenRate = r.integer("agentidp:tokenRateLimitPerMinute", 300, 1, 10_000);
        // _Default log bucket retention: 1 to 3650 days (Cloud Logging, "Configure custom retention").
        int logRetention = r.integer("agentidp:logRetentionDays", 365, 1, 3650);
        Optional<String> kafkaBrokers =
                r.optional("agentidp:kafkaBrokers", BROKERS, "a comma-separated list of host:port (KAFKA_BROKERS)");
        Names names = null;
        try {
            names = Names.forStack(stack, postgresVersion);
        } catch (IllegalArgumentException e) {
            r.problems.add(e.getMessage());
        }
        if (!r.problems.isEmpty()) {
            throw new IllegalArgumentException("invalid stack configuration: " + String.join("; ", r.problems));
        }
        return new GcpConfig(
                project,
                region,
                stack,
                names,
                image,
                deployed.digest(),
                domain,
                dnsZone,
                awsIssuerUrl,
                postgresVersion,
                sqlTier,
                sqlDisk,
                redisMemory,
                runCpu,
                runMemory,
                minInstances,
                maxInstances,
                concurrency,
                connectorMachine,
                connectorMin,
                connectorMax,
                features,
                alertEmail,
                tokenRate,
                logRetention,
                kafkaBrokers,
                secrets);
    }

    private static final class Reader {
        private final Function<String, Optional<String>> lookup;
        private final List<String> problems = new ArrayList<>();

        Reader(Function<String, Optional<String>> lookup) {
            this.lookup = lookup;
        }

        String string(String key, Pattern pattern, String expected, String fallback) {
            Optional<String> value = lookup.apply(key).filter(v -> !v.isBlank());
            if (value.isEmpty()) {
                if (fallback == null) {
                    problems.add(key + " is required (" + expected + "): pulumi config set " + key + " <value>");
                }
                return fallback;
            }
            if (!pattern.matcher(value.get()).matches()) {
                problems.add(key + " must be " + expected + ", got '" + value.get() + "'");
                return fallback;
            }
            return value.get();
        }

        Optional<String> optional(String key, Pattern pattern, String expected) {
            if (lookup.apply(key).filter(v -> !v.isBlank()).isEmpty()) {
                return Optional.empty();
            }
            return Optional.ofNullable(string(key, pattern, expected, null));
        }

        int integer(String key, int fallback, int min, int max) {
            Optional<String> value = lookup.apply(key).filter(v -> !v.isBlank());
            if (value.isEmpty()) {
                return fallback;
            }
            try {
                int number = Integer.parseInt(value.get().trim());
                if (number < min || number > max) {
                    problems.add(key + " must be between " + min + " and " + max + ", got " + number);
                    return fallback;
                }
                return number;
            } catch (NumberFormatException e) {
                problems.add(key + " must be a whole number, got '" + value.get() + "'");
                return fallback;
            }
        }

        Map<String, String> features() {
            Map<String, String> features = new LinkedHashMap<>();
            for (String[] feature : FEATURES) {
                String value =
                        lookup.apply(feature[0]).filter(v -> !v.isBlank()).orElse(feature[2]);
                if (!value.equals("true") && !value.equals("false")) {
                    problems.add(feature[0] + " must be true or false, got '" + value + "'");
                } else if (value.equals("true") && REFUSED_WHEN_TRUE.containsKey(feature[0])) {
                    problems.add(feature[0] + "=true asks for " + REFUSED_WHEN_TRUE.get(feature[0])
                            + ", which this build of AgentIdP does not implement (the service refuses to start with "
                            + feature[1] + "=true); set it to false");
                }
                features.put(feature[1], value);
            }
            return Map.copyOf(features);
        }
    }
}
