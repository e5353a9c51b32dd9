package ai.sentryagent.agentidp.infra.gcp;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Physical names of one stack, derived from {@code sentryagent-agentidp-<stack>} as in the seed and checked against
 * GCP's limits before any resource is declared. Where the seed's names break a limit — the VPC connector
 * ({@code …-connector}, 25 characters at most) and the service account ({@code …-run-sa}, 6–30) — a short form
 * {@code agentidp-<stack>} is used, shortened further with a hash when the stack name is long.
 */
public record Names(String prefix, String shortPrefix, String stack, String postgresSuffix) {
    static final String PROJECT = "sentryagent-agentidp";
    private static final String LOWER_DASHED = "[a-z]([a-z0-9-]*[a-z0-9])?";

    public static Names forStack(String stack, String postgresVersion) {
        if (stack == null || !stack.matches(LOWER_DASHED)) {
            throw new IllegalArgumentException("stack name '" + stack + "' must be lowercase letters, digits and"
                    + " hyphens, starting with a letter (it becomes part of GCP resource names)");
        }
        String shortPrefix = "agentidp-" + stack;
        if (shortPrefix.length() > 20) {
            shortPrefix = "agentidp-" + stack.substring(0, 5).replaceAll("-+$", "") + "-" + hash(stack);
        }
        String suffix = "pg" + postgresVersion.replace("POSTGRES_", "");
        Names names = new Names(PROJECT + "-" + stack, shortPrefix, stack, suffix);
        names.validate();
        return names;
    }

    public String network() {
        return prefix;
    }

    public String subnet() {
        return prefix + "-subnet";
    }

    public String privateServicesRange() {
        return prefix + "-psa";
    }

    /** Serverless VPC Access connector: at most 25 characters. */
    public String connector() {
        return shortPrefix + "-vpc";
    }

    /** Cloud SQL instance, with the engine version as in the seed ({@code …-pg14}). */
    public String sqlInstance() {
        return prefix + "-" + postgresSuffix;
    }

    public String memorystore() {
        return prefix;
    }

    public String secret(String name) {
        return prefix + "-" + name;
    }

    /** Service account id: 6 to 30 characters. */
    public String runServiceAccount() {
        return shortPrefix + "-run";
    }

    /** The migrate job's own service account: it may read the migrator's secrets and nothing else. */
    public String migrateServiceAccount() {
        return shortPrefix + "-mig";
    }

    /** The connector's own /28 subnet, so that its traffic has flow logs like the rest of the VPC. */
    public String connectorSubnet() {
        return prefix + "-connector";
    }

    /** A front-door (load balancer) resource: compute names are at most 63 characters. */
    public String frontDoor(String part) {
        return prefix + "-" + part;
    }

    public String cloudRunService() {
        return prefix;
    }

    /** The seed's job name for production; other stacks get their own so they can share a project. */
    public String migrateJob() {
        return stack.equals("production") ? "agentidp-migrate" : "agentidp-migrate-" + stack;
    }

    private void validate() {
        List<String> problems = new ArrayList<>();
        check(problems, "VPC network", network(), 1, 63);
        check(problems, "subnet", subnet(), 1, 63);
        check(problems, "private services range", privateServicesRange(), 1, 63);
        check(problems, "VPC connector", connector(), 2, 25);
        check(problems, "Cloud SQL instance", sqlInstance(), 1, 98);
        check(problems, "Memorystore instance", memorystore(), 1, 40);
        check(problems, "secret", secret("bootstrap-admin-secret"), 1, 255);
        check(problems, "service account", runServiceAccount(), 6, 30);
        check(problems, "migrate service account", migrateServiceAccount(), 6, 30);
        check(problems, "connector subnet", connectorSubnet(), 1, 63);
        // The longest front-door name (Compute Engine resource names: RFC 1035, at most 63 characters).
        check(problems, "load balancer", frontDoor("https-proxy"), 1, 63);
        check(problems, "managed certificate", frontDoor("cert-000000"), 1, 63);
        check(problems, "Cloud Run service", cloudRunService(), 1, 49);
        check(problems, "Cloud Run job", migrateJob(), 1, 49);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(
                    "stack '" + stack + "' gives names GCP refuses: " + String.join("; ", problems));
        }
    }

    private static void check(List<String> problems, String what, String name, int min, int max) {
        if (name.length() < min || name.length() > max) {
            problems.add(what + " name '" + name + "' is " + name.length() + " characters (allowed " + min + "-" + max
                    + ")");
        } else if (!name.matches(LOWER_DASHED)) {
            problems.add(what + " name '" + name + "' must start with a letter and hold only lowercase letters,"
                    + " digits and hyphens");
        }
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
