package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.core.Output;
import com.pulumi.core.internal.Internal;
import com.pulumi.resources.Resource;
import com.pulumi.resources.ResourceTransformation;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes the offline resource plan: every resource with its type, name, parent, explicit dependencies and inputs,
 * sorted, with the value
 * of every input whose output the provider marks secret replaced by {@code "[secret]"}. Reviewers diff it the way
 * they diff {@code cdk.out}.
 */
final class PlanWriter {
    static final String MASK = "[secret]";
    /** Inputs masked even if a provider forgot to mark them. */
    private static final Set<String> ALWAYS_SECRET = Set.of("password", "secretData", "rootPassword", "authString");

    private PlanWriter() {}

    /** Records each resource's explicit dependsOn as it is registered (a stack transformation; changes nothing). */
    static final class Dependencies implements ResourceTransformation {
        private final Map<String, Output<List<Resource>>> byResource = new java.util.concurrent.ConcurrentHashMap<>();
        private final Set<String> protectedResources = java.util.concurrent.ConcurrentHashMap.newKeySet();

        @Override
        public Optional<ResourceTransformation.Result> apply(ResourceTransformation.Args args) {
            Resource resource = args.resource();
            byResource.put(key(resource), args.options().getDependsOn());
            if (args.options().isProtect()) {
                protectedResources.add(key(resource));
            }
            return Optional.empty();
        }

        /** Whether the resource carries Pulumi's {@code protect} option (a delete or replace is refused). */
        boolean isProtected(String key) {
            return protectedResources.contains(key);
        }

        /** The explicit dependencies of one resource, as {@code type::name}, sorted. */
        List<String> of(String key) {
            Output<List<Resource>> dependsOn = byResource.get(key);
            if (dependsOn == null) {
                return List.of();
            }
            List<Resource> resolved = Internal.of(dependsOn).getValueNullable().join();
            return resolved == null
                    ? List.of()
                    : resolved.stream().map(PlanWriter::key).sorted().distinct().toList();
        }
    }

    static String key(Resource resource) {
        return resource.pulumiResourceType() + "::" + resource.pulumiResourceName();
    }

    static String render(List<Resource> resources, GcpMocks mocks, Dependencies dependencies) {
        Map<Resource, String> parents = new HashMap<>();
        for (Resource resource : resources) {
            for (Resource child : resource.pulumiChildResources()) {
                parents.put(child, resource.pulumiResourceType() + "::" + resource.pulumiResourceName());
            }
        }
        Map<String, Map<String, Object>> inputs = new HashMap<>();
        mocks.registrations.forEach(r -> inputs.put(r.type() + "::" + r.name(), r.inputs()));
        List<Map<String, Object>> entries = new ArrayList<>();
        for (Resource resource : resources) {
            Map<String, Object> entry = new TreeMap<>();
            entry.put("type", resource.pulumiResourceType());
            entry.put("name", resource.pulumiResourceName());
            entry.put("parent", parents.get(resource));
            Map<String, Object> raw = inputs.get(resource.pulumiResourceType() + "::" + resource.pulumiResourceName());
            Map<String, Object> masked = new TreeMap<>();
            if (raw != null) {
                raw.forEach((key, value) -> masked.put(key, isSecret(resource, key) ? MASK : value));
            }
            entry.put("inputs", masked);
            entry.put("dependsOn", dependencies.of(key(resource)));
            entry.put("protect", dependencies.isProtected(key(resource)));
            entries.add(entry);
        }
        entries.sort(Comparator.comparing((Map<String, Object> e) -> (String) e.get("type"))
                .thenComparing(e -> (String) e.get("name")));
        StringBuilder json = new StringBuilder();
        json.append("{\"resources\":[\n");
        for (int i = 0; i < entries.size(); i++) {
            Map<String, Object> entry = entries.get(i);
            json.append("  {");
            for (String key : List.of("type", "name", "parent", "protect", "dependsOn", "inputs")) {
                json.append(key.equals("type") ? "" : ",");
                string(json, key);
                json.append(':');
                write(json, entry.get(key));
            }
            json.append(i + 1 < entries.size() ? "},\n" : "}\n");
        }
        return json.append("]}\n").toString();
    }

    static void write(Path path, String plan) throws IOException {
        Files.createDirectories(path.getParent());
        Files.writeString(path, plan);
    }

    private static boolean isSecret(Resource resource, String input) {
        if (ALWAYS_SECRET.contains(input)) {
            return true;
        }
        try {
            Method getter = resource.getClass().getMethod(input);
            if (Output.class.isAssignableFrom(getter.getReturnType())) {
                return Internal.of((Output<?>) getter.invoke(resource))
                        .isSecret()
                        .join();
            }
        } catch (ReflectiveOperationException e) {
            // no output of that name: not secret by the provider's schema
        }
        return false;
    }

    private static void write(StringBuilder out, Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : new TreeMap<>(map).entrySet()) {
                out.append(first ? "" : ",");
                first = false;
                string(out, String.valueOf(e.getKey()));
                out.append(':');
                write(out, e.getValue());
            }
            out.append('}');
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                out.append(i == 0 ? "" : ",");
                write(out, list.get(i));
            }
            out.append(']');
        } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
        } else {
            string(out, String.valueOf(value));
        }
    }

    private static void string(StringBuilder out, String value) {
        out.append('"');
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
