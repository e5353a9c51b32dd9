package ai.sentryagent.agentidp.policy;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The authorization policy: rules, each granting one endpoint (method + path template) to callers that hold one of
 * its scopes, or that are the agent the path names ({@code self}). Anything no rule grants is denied.
 */
public record Policy(List<Rule> rules, String source) {

    /** One line of a policy file. {@code self} grants the agent named by the path's {@code {agentId}}. */
    public record Rule(String method, String pathTemplate, Set<String> scopes, boolean self, String file, int line) {
        /** The path's {@code {agentId}} when the rule applies to the request (empty string if it has none). */
        Optional<String> match(String method, String path) {
            if (!this.method.equals(method)) {
                return Optional.empty();
            }
            String[] template = pathTemplate.split("/", -1);
            String[] actual = path.split("/", -1);
            if (template.length != actual.length) {
                return Optional.empty();
            }
            String agentId = "";
            for (int i = 0; i < template.length; i++) {
                boolean variable = template[i].startsWith("{") && template[i].endsWith("}");
                if (variable) {
                    if (actual[i].isEmpty()) {
                        return Optional.empty();
                    }
                    if (template[i].equals("{agentId}")) {
                        agentId = actual[i];
                    }
                } else if (!template[i].equals(actual[i])) {
                    return Optional.empty();
                }
            }
            return Optional.of(agentId);
        }
    }

    /** Whether a concrete path fits a template such as {@code /api/v1/agents/{agentId}}. */
    public static boolean fits(String template, String path) {
        return new Rule("ANY", template, Set.of(), false, "", 0)
                .match("ANY", path)
                .isPresent();
    }

    /** The input document of a decision (also what OPA receives). */
    public record Request(String method, String path, Set<String> scopes, String agentId, String clientId) {}

    /** The answer, with a reason a caller can act on. */
    public record Decision(boolean allow, String reason) {
        public static Decision allow(String reason) {
            return new Decision(true, reason);
        }

        public static Decision deny(String reason) {
            return new Decision(false, reason);
        }
    }

    public Policy {
        rules = List.copyOf(rules);
    }

    public Decision decide(Request request) {
        Rule firstMatch = null;
        for (Rule rule : rules) {
            Optional<String> target = rule.match(request.method(), request.path());
            if (target.isEmpty()) {
                continue;
            }
            firstMatch = firstMatch == null ? rule : firstMatch;
            for (String scope : rule.scopes()) {
                if (request.scopes().contains(scope)) {
                    return Decision.allow("scope " + scope + " (" + rule.file() + ":" + rule.line() + ")");
                }
            }
            if (rule.self() && !target.get().isEmpty() && target.get().equals(request.agentId())) {
                return Decision.allow("self (" + rule.file() + ":" + rule.line() + ")");
            }
        }
        if (firstMatch == null) {
            return Decision.deny("no policy rule grants " + request.method() + " " + request.path());
        }
        String needed = firstMatch.scopes().stream()
                .filter(s -> !s.equals("admin"))
                .sorted()
                .findFirst()
                .orElse("admin");
        return Decision.deny("requires scope " + needed);
    }
}
