package ai.sentryagent.agentidp.config;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The scopes agents may hold: the management scopes of this IdP plus the resource-server scopes an operator
 * declares in {@code CUSTOM_SCOPES}. Anything else is an unknown scope.
 */
public record Scopes(Set<String> custom) {
    public static final String AGENTS_READ = "agents:read";
    public static final String AGENTS_WRITE = "agents:write";
    public static final String TOKENS_READ = "tokens:read";
    public static final String AUDIT_READ = "audit:read";
    public static final String ADMIN = "admin";

    /** Scopes that govern this IdP itself; only an administrator may grant them. */
    public static final Set<String> MANAGEMENT = Set.of(AGENTS_READ, AGENTS_WRITE, TOKENS_READ, AUDIT_READ, ADMIN);

    /** RFC 6749 §3.3 scope-token characters. */
    private static final Pattern SCOPE_TOKEN = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}");

    public Scopes {
        custom = Set.copyOf(custom);
    }

    public static boolean wellFormed(String scope) {
        return SCOPE_TOKEN.matcher(scope).matches();
    }

    public boolean known(String scope) {
        return MANAGEMENT.contains(scope) || custom.contains(scope);
    }

    /** Every scope, management ones first, for the metadata document. */
    public List<String> all() {
        Set<String> all = new LinkedHashSet<>(List.of(AGENTS_READ, AGENTS_WRITE, TOKENS_READ, AUDIT_READ, ADMIN));
        custom.stream().sorted().forEach(all::add);
        return List.copyOf(all);
    }
}
