package ai.sentryagent.agentidp.infra.gcp;

/**
 * Physical names of one stack, derived from {@code sentryagent-agentidp-<stack>} as in the seed and checked
 * against GCP's limits before any resource is declared.
 */
public record Names(String prefix) {
    static final String PROJECT = "sentryagent-agentidp";

    public static Names forStack(String stack) {
        if (stack == null || !stack.matches("[a-z][a-z0-9-]*[a-z0-9]")) {
            throw new IllegalArgumentException("stack name '" + stack
                    + "' must be lowercase letters, digits and hyphens (it becomes part of" + " GCP resource names)");
        }
        String prefix = PROJECT + "-" + stack;
        check("network", prefix, 63);
        return new Names(prefix);
    }

    static void check(String what, String name, int max) {
        if (name.length() > max) {
            throw new IllegalArgumentException(
                    what + " name '" + name + "' is " + name.length() + " characters; GCP allows " + max);
        }
        if (!name.matches("[a-z]([a-z0-9-]*[a-z0-9])?")) {
            throw new IllegalArgumentException(what + " name '" + name
                    + "' must start with a letter and hold only lowercase letters, digits" + " and hyphens");
        }
    }
}
