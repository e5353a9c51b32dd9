package ai.sentryagent.agentidp.infra.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The image both clouds deploy, as {@code ./mvnw -Pimage,deploy} recorded it in {@code deploy/image.json}: the
 * project version and git revision it was built from, and the manifest digest the registries serve. Tasks run
 * {@code <repository>@<digest>}, never a tag: a tag can be moved, a digest names one manifest for good (OCI
 * distribution spec, "Pulling manifests": a digest reference is content-addressed).
 */
public record DeployedImage(String version, String revision, String digest) {
    /** The file, relative to the repository root. */
    static final String FILE = "deploy/image.json";

    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final Pattern REVISION = Pattern.compile("[0-9a-f]{40}");

    /** Reads and validates the record; every problem names the file and the key. */
    public static DeployedImage read(Path repositoryRoot) {
        Path file = repositoryRoot.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(FILE + " is missing: build and publish the image first"
                    + " (./mvnw -Pimage,deploy -Dimage.push=<repository>, docs/deployment.md §1)");
        }
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(FILE + " is not valid JSON: " + e.getMessage(), e);
        }
        List<String> problems = new ArrayList<>();
        String version = text(json, "version", problems);
        String revision = text(json, "revision", problems);
        String digest = text(json, "digest", problems);
        if (digest != null && !DIGEST.matcher(digest).matches()) {
            problems.add(FILE + ": digest must be sha256:<64 lowercase hex digits> (the pushed manifest's digest,"
                    + " never a tag), got '" + digest + "'");
        }
        if (revision != null && !REVISION.matcher(revision).matches()) {
            problems.add(FILE + ": revision must be a 40-digit git commit id, got '" + revision + "'");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return new DeployedImage(version, revision, digest);
    }

    private static String text(JsonNode json, String key, List<String> problems) {
        JsonNode value = json == null ? null : json.get(key);
        if (value == null || !value.isTextual() || value.asText().isBlank()) {
            problems.add(FILE + ": " + key + " is required (written by ./mvnw -Pimage,deploy)");
            return null;
        }
        return value.asText();
    }
}
