package ai.sentryagent.agentidp.policy;

import ai.sentryagent.agentidp.config.Scopes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads {@code *.policy} files from a directory. Format (version 1), one rule per line:
 *
 * <pre>
 * version 1
 * # METHOD  PATH-TEMPLATE                       GRANTED-TO (scopes and/or self, separated by |)
 * GET       /api/v1/agents/{agentId}            agents:read | admin | self
 * </pre>
 *
 * A missing directory, a syntax error, an unknown scope, an endpoint the service serves that no rule mentions, or a
 * rule for an endpoint the service does not serve fails with the file and line.
 */
public final class PolicyLoader {
    private static final Pattern METHOD = Pattern.compile("GET|POST|PUT|PATCH|DELETE");
    private static final Pattern TEMPLATE = Pattern.compile("/[A-Za-z0-9/_.{}-]*");

    private PolicyLoader() {}

    /** A policy problem, naming the file and line. */
    public static final class PolicyException extends RuntimeException {
        public PolicyException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * @param directory the policy directory ({@code POLICY_DIR})
     * @param endpoints the management endpoints the service serves ({@code "GET /api/v1/agents"}), each needing a
     *     rule
     * @param scopes the known scopes
     */
    public static Policy load(Path directory, Set<String> endpoints, Scopes scopes) {
        if (!Files.isDirectory(directory)) {
            throw new PolicyException("POLICY_DIR " + directory.toAbsolutePath().normalize()
                    + " is not a directory (it holds the authorization policy, *.policy files)");
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(directory)) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(".policy"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new PolicyException("cannot read POLICY_DIR " + directory + ": " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new PolicyException(
                    "POLICY_DIR " + directory.toAbsolutePath().normalize() + " holds no *.policy file");
        }
        List<Policy.Rule> rules = new ArrayList<>();
        for (Path file : files) {
            rules.addAll(parse(file, scopes));
        }
        for (String endpoint : endpoints) {
            String[] parts = endpoint.split(" ", 2);
            if (rules.stream()
                    .noneMatch(
                            r -> r.method().equals(parts[0]) && r.pathTemplate().equals(parts[1]))) {
                throw new PolicyException(files.get(0).getFileName() + ": no rule for " + endpoint
                        + " (every management endpoint needs one; default is deny)");
            }
        }
        for (Policy.Rule rule : rules) {
            String key = rule.method() + " " + rule.pathTemplate();
            if (!endpoints.contains(key)) {
                // A misspelt template would leave the endpoint it meant at default deny while reading as granted.
                throw new PolicyException(rule.file() + ":" + rule.line() + ": " + key
                        + " is not an endpoint this service serves (known: "
                        + String.join(", ", endpoints.stream().sorted().toList()) + ")");
            }
        }
        return new Policy(rules, directory.toAbsolutePath().normalize().toString());
    }

    static List<Policy.Rule> parse(Path file, Scopes scopes) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PolicyException(file + ": cannot be read: " + e.getMessage());
        }
        String name = file.getFileName().toString();
        List<Policy.Rule> rules = new ArrayList<>();
        boolean versioned = false;
        for (int i = 0; i < lines.size(); i++) {
            int number = i + 1;
            String line = lines.get(i);
            int hash = line.indexOf('#');
            String content = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (content.isEmpty()) {
                continue;
            }
            if (!versioned) {
                if (!content.equals("version 1")) {
                    throw new PolicyException(
                            name + ":" + number + ": the first rule line must be 'version 1', got '" + content + "'");
                }
                versioned = true;
                continue;
            }
            String[] fields = content.split("\\s+", 3);
            if (fields.length < 3) {
                throw new PolicyException(name + ":" + number
                        + ": expected 'METHOD /path/template grant | grant ...', got '" + content + "'");
            }
            if (!METHOD.matcher(fields[0]).matches()) {
                throw new PolicyException(name + ":" + number + ": unknown method '" + fields[0] + "'");
            }
            if (!TEMPLATE.matcher(fields[1]).matches()) {
                throw new PolicyException(name + ":" + number + ": '" + fields[1] + "' is not a path template");
            }
            Set<String> granted = new LinkedHashSet<>();
            boolean self = false;
            for (String grant : fields[2].split("\\|")) {
                String g = grant.strip();
                if (g.equals("self")) {
                    if (!fields[1].contains("{agentId}")) {
                        throw new PolicyException(name + ":" + number + ": 'self' needs a path with {agentId}");
                    }
                    self = true;
                } else if (!scopes.known(g)) {
                    throw new PolicyException(name + ":" + number + ": unknown scope '" + g + "' (known: "
                            + String.join(", ", scopes.all()) + ")");
                } else {
                    granted.add(g);
                }
            }
            rules.add(new Policy.Rule(fields[0], fields[1], Set.copyOf(granted), self, name, number));
        }
        if (!versioned) {
            throw new PolicyException(name + ":1: empty policy file (expected 'version 1' and rules)");
        }
        return rules;
    }
}
