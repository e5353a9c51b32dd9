package ai.sentryagent.agentidp.infra.gcp;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The image both clouds deploy, as {@code ./mvnw -Pimage,deploy} recorded it in {@code deploy/image.json}: the
 * project version and git revision it was built from, and the manifest digest the registries serve. Cloud Run runs
 * {@code <repository>@<digest>}, never a tag: a digest names one manifest for good (OCI distribution spec, "Pulling
 * manifests"); Cloud Run resolves a tag to a digest when it creates a revision, so a tag would only say which image
 * some revision happened to get.
 */
public record DeployedImage(String version, String revision, String digest) {
    /** The file, relative to the repository root. */
    static final String FILE = "deploy/image.json";

    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final Pattern REVISION = Pattern.compile("[0-9a-f]{40}");

    /** Reads the record from the repository holding {@code Pulumi.yaml} (the CLI runs the program below it). */
    static DeployedImage readFromRepository() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("Pulumi.yaml"))) {
                return read(dir);
            }
        }
        throw new IllegalArgumentException(
                FILE + " not found: no Pulumi.yaml above " + Path.of("").toAbsolutePath());
    }

    /** Reads and validates the record; every problem names the file and the key. */
    public static DeployedImage read(Path repositoryRoot) {
        Path file = repositoryRoot.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(FILE + " is missing: build and publish the image first"
                    + " (./mvnw -Pimage,deploy -Dimage.push=<repository>, docs/deployment.md §1)");
        }
        JsonObject json;
        try {
            JsonElement parsed = JsonParser.parseString(Files.readString(file));
            json = parsed.isJsonObject() ? parsed.getAsJsonObject() : new JsonObject();
        } catch (IOException | JsonParseException e) {
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

    private static String text(JsonObject json, String key, List<String> problems) {
        JsonElement value = json.get(key);
        if (value == null
                || !value.isJsonPrimitive()
                || !value.getAsJsonPrimitive().isString()
                || value.getAsString().isBlank()) {
            problems.add(FILE + ": " + key + " is required (written by ./mvnw -Pimage,deploy)");
            return null;
        }
        return value.getAsString();
    }
}
