package ai.sentryagent.agentidp.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one), run from Maven Central's
 * {@code kafka_2.13} as a child JVM whose classpath the {@code kafka-test-broker} module wrote: the broker's Scala,
 * Jackson and Yammer dependencies never meet the service's. One per test JVM, shared, stopped on exit; tests may stop
 * and start it (same port, same log directory) to play an outage.
 */
public final class KafkaBroker {
    private static KafkaBroker instance;

    private final Path dir;
    private final Path properties;
    private final String classpath;
    private final int port;
    private Process process;

    private KafkaBroker() throws IOException, InterruptedException {
        Path file =
                Path.of(System.getProperty("kafka.broker.classpath", "../kafka-test-broker/target/broker.classpath"));
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("no Kafka broker classpath at " + file.toAbsolutePath()
                    + ": build the kafka-test-broker module first (./mvnw -pl kafka-test-broker,service verify)");
        }
        classpath = Files.readString(file).trim();
        dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "kafka-broker-");
        port = freePort();
        int controller = freePort();
        properties = dir.resolve("server.properties");
        Files.writeString(
                properties,
                String.join(
                        "\n",
                        "process.roles=broker,controller",
                        "node.id=1",
                        "controller.quorum.voters=1@127.0.0.1:" + controller,
                        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller,
                        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                        "controller.listener.names=CONTROLLER",
                        "inter.broker.listener.name=PLAINTEXT",
                        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                        "log.dirs=" + dir.resolve("data"),
                        "num.partitions=1",
                        "offsets.topic.replication.factor=1",
                        "transaction.state.log.replication.factor=1",
                        "transaction.state.log.min.isr=1",
                        "group.initial.rebalance.delay.ms=0",
                        "auto.create.topics.enable=false",
                        ""),
                StandardCharsets.UTF_8);
        Files.writeString(
                dir.resolve("logback.xml"),
                "<configuration><appender name=\"F\" class=\"ch.qos.logback.core.FileAppender\"><file>"
                        + dir.resolve("broker.log")
                        + "</file><encoder><pattern>%d %level %logger{20} %msg%n</pattern></encoder></appender>"
                        + "<root level=\"INFO\"><appender-ref ref=\"F\"/></root></configuration>");
        Process format = java(
                        "kafka.tools.StorageTool",
                        "format",
                        "-t",
                        Uuid.randomUuid().toString(),
                        "-c",
                        properties.toString())
                .redirectOutput(dir.resolve("format.log").toFile())
                .redirectErrorStream(true)
                .start();
        if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
            format.destroyForcibly();
            throw new IllegalStateException("kafka-storage format failed; see " + dir.resolve("format.log"));
        }
        start();
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "kafka-broker-stop"));
    }

    /** The shared broker, started on first use. */
    public static synchronized KafkaBroker get() {
        if (instance == null) {
            try {
                instance = new KafkaBroker();
            } catch (IOException e) {
                throw new IllegalStateException("could not start the Kafka broker: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the Kafka broker", e);
            }
        }
        return instance;
    }

    public String bootstrap() {
        return "127.0.0.1:" + port;
    }

    /** Starts the broker (again) and returns once it answers a metadata request. */
    public synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            return;
        }
        process = java("kafka.Kafka", properties.toString())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("stdout.log").toFile()))
                .redirectErrorStream(true)
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Admin admin = admin()) {
            while (true) {
                try {
                    admin.describeCluster().nodes().get(2, TimeUnit.SECONDS);
                    return;
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    if (!process.isAlive() || System.nanoTime() > deadline) {
                        throw new IllegalStateException("the Kafka broker did not come up; see " + dir, e);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
        }
    }

    /** Stops the broker (SIGTERM, as an orchestrator would) and waits for it to exit. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Creates a topic with one partition (the audit stream keeps its order in one). */
    public void createTopic(String topic) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int)
                Duration.ofSeconds(5).toMillis());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
        return Admin.create(props);
    }

    private ProcessBuilder java(String main, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m",
                "-XX:+UseSerialGC",
                "-Dlogback.configurationFile=" + dir.resolve("logback.xml"),
                "-cp",
                classpath,
                main));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        Map<String, String> env = builder.environment();
        env.remove("KAFKA_OPTS");
        return builder;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
