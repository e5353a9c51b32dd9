package ai.sentryagent.agentidp.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A packaged jar run as a separate process, the way an operator runs it: {@link #jar()} is the jar under test
 * ({@code agentidp-server.jar} in {@code service}, {@code agentidp-dev.jar} in {@code service-dev}).
 */
public final class JarProcess implements AutoCloseable {
    private final Process process;
    private final List<String> stdout = Collections.synchronizedList(new ArrayList<>());
    private final List<String> stderr = Collections.synchronizedList(new ArrayList<>());
    private final Thread outReader;
    private final Thread errReader;
    /** Set (under the stdout lock) when the process's stdout has ended. */
    private boolean stdoutEnded;

    private JarProcess(Process process) {
        this.process = process;
        this.outReader = pump(process.getInputStream(), stdout, () -> stdoutEnded = true);
        this.errReader = pump(process.getErrorStream(), stderr, () -> {});
    }

    public static Path jar() {
        Path jar = Path.of(System.getProperty("agentidp.jar", "target/agentidp-server.jar"))
                .toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException(
                    jar + " does not exist; run through 'mvn verify' (failsafe runs after package)");
        }
        return jar;
    }

    public static JarProcess start(Path workDir, Map<String, String> env, String... args) throws IOException {
        return start(jar(), workDir, env, args);
    }

    /** The container image's jar: the service without the embedded servers of {@code dev}. */
    public static Path serverJar() {
        Path jar = Path.of(System.getProperty("agentidp.server.jar", "target/agentidp-server.jar"))
                .toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " does not exist; run through 'mvn verify'");
        }
        return jar;
    }

    public static JarProcess start(Path jar, Path workDir, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
        Map<String, String> environment = builder.environment();
        for (String inherited : List.copyOf(environment.keySet())) {
            if (!inherited.equals("PATH")
                    && !inherited.equals("HOME")
                    && !inherited.equals("JAVA_HOME")
                    && !inherited.equals("TMPDIR")
                    && !inherited.equals("LANG")) {
                environment.remove(inherited);
            }
        }
        environment.putAll(env);
        return new JarProcess(builder.start());
    }

    /**
     * Waits for a stdout line matching the predicate — woken by each new line, not by polling; fails with everything
     * printed so far.
     */
    public String awaitStdout(Predicate<String> matcher, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (stdout) {
            while (true) {
                Optional<String> line = stdout.stream().filter(matcher).findFirst();
                if (line.isPresent()) {
                    return line.get();
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0 || stdoutEnded) {
                    break;
                }
                stdout.wait(left);
            }
        }
        throw new AssertionError("no matching output within " + timeout + "; alive=" + process.isAlive() + "\nstdout:\n"
                + String.join("\n", stdout()) + "\nstderr:\n" + String.join("\n", stderr()));
    }

    public int waitForExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("process still running after " + timeout);
        }
        outReader.join(5_000);
        errReader.join(5_000);
        return process.exitValue();
    }

    public void signal(String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                .inheritIO()
                .start()
                .waitFor();
    }

    public Process process() {
        return process;
    }

    public List<String> stdout() {
        synchronized (stdout) {
            return List.copyOf(stdout);
        }
    }

    public List<String> stderr() {
        synchronized (stderr) {
            return List.copyOf(stderr);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private static Thread pump(java.io.InputStream stream, List<String> sink, Runnable onEnd) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    synchronized (sink) {
                        sink.add(line);
                        sink.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
            synchronized (sink) {
                onEnd.run();
                sink.notifyAll(); // the stream ended: waiters stop waiting for lines that cannot come
            }
        });
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
