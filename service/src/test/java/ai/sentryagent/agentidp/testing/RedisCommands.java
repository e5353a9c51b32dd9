package ai.sentryagent.agentidp.testing;

import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.config.RedisUrl;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The tests' Redis ({@link TestServers#redisUrl()}) seen from outside the service, with {@code redis-cli}: one
 * command, or every command a step made Redis receive — how a test counts a request's round trips. Other runs share
 * that Redis, so what is counted is only what names a key of the test's own prefix.
 */
public final class RedisCommands {
    private RedisCommands() {}

    /** What runs while Redis is watched. */
    public interface Step {
        void run() throws Exception;
    }

    /**
     * The commands on keys of {@code prefix} that Redis received from its clients while {@code step} ran — one per
     * round trip; what a Lua script runs is not counted (MONITOR shows it as {@code [0 lua]}).
     */
    public static List<String> monitored(String prefix, Step step) throws Exception {
        RedisUrl url = RedisUrl.parse(TestServers.get().redisUrl());
        Process monitor = new ProcessBuilder(
                        "redis-cli", "-h", url.host(), "-p", Integer.toString(url.port()), "MONITOR")
                .redirectErrorStream(true)
                .start();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(monitor.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException ended) {
                // the monitor was stopped
            }
        });
        reader.start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> lines.contains("OK"));
            step.run();
            String marker = "marker-" + System.nanoTime();
            redis("GET", prefix + marker); // once the monitor shows this, it has shown everything before it
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                synchronized (lines) {
                    return lines.stream().anyMatch(line -> line.contains(marker));
                }
            });
        } finally {
            monitor.destroy();
            reader.join(10_000);
        }
        synchronized (lines) {
            return lines.stream()
                    .filter(line -> line.contains(prefix) && !line.contains(" lua]") && !line.contains("marker-"))
                    .toList();
        }
    }

    /** The name of a monitored command, in lower case ({@code "eval"}, {@code "zmscore"}). */
    public static String name(String monitoredLine) {
        int start = monitoredLine.indexOf("] \"") + 3;
        return monitoredLine.substring(start, monitoredLine.indexOf('"', start)).toLowerCase(java.util.Locale.ROOT);
    }

    /** One redis-cli command; its output, or null for Redis's nil. */
    public static String redis(String... command) throws Exception {
        RedisUrl url = RedisUrl.parse(TestServers.get().redisUrl());
        List<String> argv = new ArrayList<>(List.of("redis-cli", "-h", url.host(), "-p", Integer.toString(url.port())));
        argv.addAll(List.of(command));
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        process.waitFor();
        return out.isEmpty() ? null : out;
    }
}
