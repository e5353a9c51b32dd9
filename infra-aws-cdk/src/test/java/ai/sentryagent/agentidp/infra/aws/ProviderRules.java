package ai.sentryagent.agentidp.infra.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import software.amazon.awscdk.assertions.Template;

/** Provider rules checked on a whole synthesized template, shared by the per-environment tests. */
final class ProviderRules {
    private ProviderRules() {}

    /**
     * ECS fetches a container secret by the secret's complete ARN (the name plus the 6-character suffix Secrets
     * Manager appends); a partial ARN such as {@code Secret.fromSecretNameV2} yields makes every task fail with
     * AccessDeniedException (aws/aws-cdk issues 18555 and 20744; ECS developer guide, "Pass Secrets Manager secrets
     * through Amazon ECS environment variables": "specify the full ARN"). Accepted: a {@code Ref} to a secret of
     * this template (its Ref is the complete ARN), optionally joined with {@code :json-key::}, or a literal
     * complete ARN.
     */
    static List<String> partialSecretArns(Template template) {
        Map<String, Map<String, Object>> secrets = template.findResources("AWS::SecretsManager::Secret");
        List<String> problems = new ArrayList<>();
        template.findResources("AWS::ECS::TaskDefinition").forEach((id, definition) -> {
            Map<?, ?> properties = (Map<?, ?>) definition.get("Properties");
            for (Object container : (List<?>) properties.get("ContainerDefinitions")) {
                Object entries = ((Map<?, ?>) container).get("Secrets");
                if (entries == null) {
                    continue;
                }
                for (Object entry : (List<?>) entries) {
                    Map<?, ?> secret = (Map<?, ?>) entry;
                    Object valueFrom = secret.get("ValueFrom");
                    if (!isComplete(valueFrom, secrets)) {
                        problems.add(id + " " + secret.get("Name") + ": " + valueFrom);
                    }
                }
            }
        });
        return problems;
    }

    private static final Pattern COMPLETE_ARN = Pattern.compile(
            "arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}(:[^:]*:[^:]*:[^:]*)?");

    static boolean isComplete(Object valueFrom, Map<String, Map<String, Object>> secrets) {
        if (valueFrom instanceof String arn) {
            return COMPLETE_ARN.matcher(arn).matches();
        }
        if (valueFrom instanceof Map<?, ?> map && map.get("Ref") instanceof String ref) {
            return secrets.containsKey(ref);
        }
        if (valueFrom instanceof Map<?, ?> map && map.get("Fn::Join") instanceof List<?> join) {
            List<?> parts = (List<?>) join.get(1);
            return join.get(0).equals("")
                    && parts.size() == 2
                    && isComplete(parts.get(0), secrets)
                    && parts.get(1) instanceof String key
                    && key.matches(":[A-Za-z0-9_-]+::");
        }
        return false;
    }

    static void assertEveryEcsSecretIsACompleteArn(Template template) {
        assertThat(partialSecretArns(template))
                .as("ECS secrets given by partial ARN")
                .isEmpty();
        // The check itself rejects what ECS rejects: the partial ARN fromSecretNameV2 produces.
        assertThat(isComplete(
                        "arn:aws:secretsmanager:us-east-1:123456789012:secret:/sentryagent-agentidp/production/"
                                + "jwt-private-key",
                        Map.of()))
                .isFalse();
    }

    /**
     * Every container of every task definition runs {@code <ECR repository>@<digest>}: a digest, never a tag (OCI
     * distribution spec, "Pulling manifests": a manifest fetched by digest is verified against it; a tag can move).
     */
    static void assertEveryTaskRunsTheDigest(Template template, String digest) {
        for (var definition : template.findResources("AWS::ECS::TaskDefinition").values()) {
            Map<?, ?> properties = (Map<?, ?>) definition.get("Properties");
            for (Object container : (List<?>) properties.get("ContainerDefinitions")) {
                Map<?, ?> c = (Map<?, ?>) container;
                if (!"agentidp".equals(c.get("Name"))) {
                    continue;
                }
                String image = flatten(c.get("Image"));
                assertThat(image)
                        .as(properties.get("Family") + " image")
                        .matches("\\d{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.\\{AWS::URLSuffix\\}/sentryagent/agentidp@"
                                + Pattern.quote(digest));
            }
        }
    }

    /** A CloudFormation string expression as text: literals kept, {@code Ref}s as {@code {name}}. */
    private static String flatten(Object value) {
        if (value instanceof String text) {
            return text;
        }
        Map<?, ?> map = (Map<?, ?>) value;
        if (map.containsKey("Ref")) {
            return "{" + map.get("Ref") + "}";
        }
        List<?> join = (List<?>) map.get("Fn::Join");
        StringBuilder out = new StringBuilder();
        for (Object part : (List<?>) join.get(1)) {
            if (out.length() > 0 && !join.get(0).toString().isEmpty()) {
                out.append(join.get(0));
            }
            out.append(flatten(part));
        }
        return out.toString();
    }
}
