package ai.sentryagent.agentidp.infra.aws;

import java.util.ArrayList;
import java.util.List;

/**
 * Physical names of one environment. They follow the seed ({@code sentryagent-agentidp-<env>}) so its runbook
 * commands keep working, and each is checked against its AWS limit at synth.
 */
public record Names(String prefix, String environment) {
    static final String PROJECT = "sentryagent-agentidp";

    public static Names of(String environment) {
        Names names = new Names(PROJECT + "-" + environment, environment);
        names.validate();
        return names;
    }

    public String cluster() {
        return prefix;
    }

    public String service() {
        return prefix;
    }

    public String taskFamily() {
        return prefix;
    }

    public String migrateTaskFamily() {
        return prefix + "-migrate";
    }

    public String loadBalancer() {
        return prefix;
    }

    public String targetGroup() {
        return prefix;
    }

    public String replicationGroup() {
        return prefix;
    }

    public String dbInstance() {
        return prefix;
    }

    public String logGroup() {
        return "/ecs/" + prefix;
    }

    /** Secrets live under {@code /sentryagent-agentidp/<env>/}, as in the seed. */
    public String secret(String name) {
        return "/" + PROJECT + "/" + environment + "/" + name;
    }

    private void validate() {
        List<String> problems = new ArrayList<>();
        check(problems, "ECS cluster", cluster(), 255, "[A-Za-z0-9_-]+");
        check(problems, "ECS service", service(), 255, "[A-Za-z0-9_-]+");
        check(problems, "task definition family", migrateTaskFamily(), 255, "[A-Za-z0-9_-]+");
        check(problems, "load balancer", loadBalancer(), 32, "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?");
        check(problems, "target group", targetGroup(), 32, "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?");
        check(problems, "ElastiCache replication group", replicationGroup(), 40, "[a-z]([a-z0-9-]*[a-z0-9])?");
        check(problems, "RDS instance identifier", dbInstance(), 63, "[a-z]([a-z0-9-]*[a-z0-9])?");
        check(problems, "log group", logGroup(), 512, "[A-Za-z0-9_./#-]+");
        check(problems, "secret", secret("bootstrap-admin-secret"), 512, "[A-Za-z0-9/_+=.@-]+");
        if (prefix.contains("--")) {
            problems.add("names must not contain '--' (RDS and ElastiCache refuse it): " + prefix);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("cdk.json context: env '" + environment + "' gives names AWS refuses: "
                    + String.join("; ", problems));
        }
    }

    private static void check(List<String> problems, String what, String name, int max, String pattern) {
        if (name.length() > max) {
            problems.add(what + " name '" + name + "' is " + name.length() + " characters (limit " + max + ")");
        } else if (!name.matches(pattern)) {
            problems.add(what + " name '" + name + "' has characters AWS does not allow");
        }
    }
}
