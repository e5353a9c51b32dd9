package ai.sentryagent.agentidp.infra.gcp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The committed {@code Pulumi.production.yaml}'s plain (non-secret) settings, as the CLI would hand them over. */
final class StackFile {
    static final Path PRODUCTION = Path.of("..", "Pulumi.production.yaml");

    /** The committed deploy/image.json, which the program reads at the repository root. */
    static DeployedImage image() {
        return DeployedImage.read(Path.of(".."));
    }

    private StackFile() {}

    static Map<String, String> production() {
        try {
            Map<String, String> values = new HashMap<>();
            for (String line : Files.readAllLines(PRODUCTION)) {
                String trimmed = line.strip();
                if (trimmed.startsWith("#") || !line.startsWith("  ") || !trimmed.contains(": ")) {
                    continue;
                }
                String key = trimmed.substring(0, trimmed.indexOf(": "));
                String value = trimmed.substring(trimmed.indexOf(": ") + 2).replace("\"", "");
                values.put(key, value);
            }
            return values;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
