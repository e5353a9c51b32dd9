package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The stack's settings, read once from {@code Pulumi.<stack>.yaml} and validated. A missing or malformed key
 * fails with a message naming it.
 */
public record GcpConfig(String project, String region, String stack, Names names) {

    /** Reads the configuration of the running stack. */
    public static GcpConfig from(Context ctx) {
        com.pulumi.Config gcp = ctx.config("gcp");
        com.pulumi.Config own = ctx.config();
        return parse(ctx.stackName(), key -> key.startsWith("gcp:") ? gcp.get(key.substring(4)) : own.get(key));
    }

    /**
     * Parses settings from a lookup of fully qualified keys ({@code gcp:project}, {@code agentidp:image}). Tests
     * call this with a map.
     */
    public static GcpConfig parse(String stack, Function<String, Optional<String>> lookup) {
        List<String> problems = new ArrayList<>();
        String project = lookup.apply("gcp:project").orElse(null);
        if (project == null) {
            problems.add("gcp:project is required (pulumi config set gcp:project <project-id>)");
        } else if (!project.matches("[a-z][a-z0-9-]{4,28}[a-z0-9]")) {
            problems.add("gcp:project must be a GCP project id (6-30 lowercase letters, digits, hyphens)");
        }
        String region = lookup.apply("gcp:region").orElse(null);
        if (region == null) {
            problems.add("gcp:region is required (pulumi config set gcp:region us-central1)");
        } else if (!region.matches("[a-z]+-[a-z]+[0-9]")) {
            problems.add("gcp:region must be a GCP region such as us-central1, got '" + region + "'");
        }
        Names names = null;
        try {
            names = Names.forStack(stack);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid stack configuration: " + String.join("; ", problems));
        }
        return new GcpConfig(project, region, stack, names);
    }
}
