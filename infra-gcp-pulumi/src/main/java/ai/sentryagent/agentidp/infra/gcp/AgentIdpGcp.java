package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.Context;
import com.pulumi.Pulumi;
import com.pulumi.core.Output;
import com.pulumi.resources.Resource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Pulumi program. Reading stack configuration ({@link GcpConfig#from}) is kept apart from declaring resources
 * ({@link #define}), so tests hand the program a typed configuration directly.
 */
public final class AgentIdpGcp {
    private AgentIdpGcp() {}

    public static void main(String[] args) {
        Pulumi.run(AgentIdpGcp::stack);
    }

    static void stack(Context ctx) {
        define(ctx, GcpConfig.from(ctx));
    }

    /** Declares every resource of one environment and its outputs. */
    public static void define(Context ctx, GcpConfig config) {
        Names names = config.names();
        String prefix = names.prefix();
        List<Resource> apis = new Apis(prefix + "-apis", config).enabled();
        new Registry(prefix + "-registry", config, apis);
        Network network = new Network(prefix + "-network", config, apis);
        GcpConfig.Secrets seeds = config.secrets();
        Output<String> databasePassword = GeneratedSecrets.derive(seeds.databasePasswordSeed(), "database-password");
        Output<String> runtimePassword =
                GeneratedSecrets.derive(seeds.databaseRuntimePasswordSeed(), "database-runtime-password");
        Database database = new Database(prefix + "-database", config, network, databasePassword, apis);
        Cache cache = new Cache(prefix + "-cache", config, network, apis);
        RunIdentity identity =
                new RunIdentity(prefix + "-identity", config, names.runServiceAccount(), "Cloud Run service", apis);
        RunIdentity migrator =
                new RunIdentity(prefix + "-migrator", config, names.migrateServiceAccount(), "migrate job", apis);

        List<Secrets.Reader> service = List.of(new Secrets.Reader("", identity.email()));
        List<Secrets.Reader> migrate = List.of(new Secrets.Reader("-migrate", migrator.email()));
        List<Secrets.Spec> specs = new ArrayList<>();
        specs.add(new Secrets.Spec("DATABASE_URL", database.runtimeUrl(runtimePassword), service));
        specs.add(new Secrets.Spec(Service.MIGRATOR_URL, database.migratorUrl(), migrate));
        specs.add(new Secrets.Spec(Service.RUNTIME_PASSWORD, runtimePassword, migrate));
        specs.add(new Secrets.Spec("REDIS_URL", cache.url(), service));
        specs.add(new Secrets.Spec("JWT_PRIVATE_KEY", seeds.jwtPrivateKey(), service));
        specs.add(new Secrets.Spec("JWT_PUBLIC_KEY", seeds.jwtPublicKey(), service));
        specs.add(new Secrets.Spec(
                "CREDENTIAL_HASH_KEY",
                GeneratedSecrets.derive(seeds.credentialHashKeySeed(), "credential-hash-key"),
                service));
        specs.add(new Secrets.Spec(
                "AUDIT_CHAIN_KEY", GeneratedSecrets.derive(seeds.auditChainKeySeed(), "audit-chain-key"), service));
        specs.add(new Secrets.Spec(
                "BOOTSTRAP_ADMIN_SECRET",
                GeneratedSecrets.derive(seeds.bootstrapAdminSecretSeed(), "bootstrap-admin-secret"),
                service));
        // Not secret, but a file Cloud Run can only mount from Secret Manager.
        specs.add(new Secrets.Spec(Service.GMP_CONFIG, Output.of(Service.RUN_MONITORING), service));
        seeds.kafkaCredentials().ifPresent(credentials -> {
            specs.add(new Secrets.Spec(
                    "KAFKA_SASL_USERNAME", credentials.applyValue(c -> kafkaField(c, "username")), service));
            specs.add(new Secrets.Spec(
                    "KAFKA_SASL_PASSWORD", credentials.applyValue(c -> kafkaField(c, "password")), service));
        });
        Secrets secrets = new Secrets(prefix + "-secrets", config, specs, apis);

        // The first revision reads every secret version and connects to the database: it waits for all of them.
        List<Resource> after = new ArrayList<>(apis);
        after.addAll(database.ready());
        Service run = new Service(
                prefix + "-service",
                config,
                network,
                identity,
                migrator,
                secrets,
                environment(config, cache, database),
                migrateEnvironment(database),
                after);
        FrontDoor frontDoor = new FrontDoor(prefix + "-front-door", config, run.name(), apis);
        new Observability(prefix + "-observability", config, run.name(), database.monitoringId(), cache.id(), apis);

        ctx.export("service_url", Output.of(config.issuerUrl()));
        ctx.export("load_balancer_ip", frontDoor.address());
        ctx.export("run_url", run.uri());
        // The manifest digest Cloud Run runs (deploy/image.json): the same as the AWS stack's ImageDigest output.
        ctx.export("image_digest", Output.of(config.imageDigest()));
        ctx.export("image", Output.of(config.image()));
        ctx.export("cloud_sql_connection_name", database.connectionName());
        ctx.export("memorystore_host", cache.host());
        ctx.export("run_service_account", identity.email());
        ctx.export("migrate_service_account", migrator.email());
        ctx.export(
                "migrate_command",
                Output.format(
                        "gcloud run jobs execute %s --region %s --project %s --wait",
                        run.jobName(), config.region(), config.project()));
    }

    private static String kafkaField(Map<String, String> credentials, String field) {
        String value = credentials.get(field);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(
                    "agentidp:kafkaCredentialsSecret must be a JSON object with \"username\" and \"password\"");
        }
        return value;
    }

    /** Plain settings; secrets travel as Secret Manager references instead. */
    static Map<String, Output<String>> environment(GcpConfig config, Cache cache, Database database) {
        Map<String, Output<String>> env = new LinkedHashMap<>();
        env.put("NODE_ENV", Output.of("production"));
        env.put("ISSUER_URL", Output.of(config.issuerUrl()));
        env.put("POLICY_DIR", Output.of("/app/policies"));
        env.put("ENFORCE_TLS", Output.of("true"));
        // The load balancer appends "<client>, <its forwarding rule's address>" to X-Forwarded-For (Cloud Load
        // Balancing, "External Application Load Balancer overview": X-Forwarded-For): the client is the second hop
        // from the right, so two trusted proxies. Ingress admits nothing that skipped the load balancer.
        env.put("TRUSTED_PROXY_COUNT", Output.of("2"));
        // The service connects as the runtime role, which cannot change the schema: the migrate job migrates.
        env.put("DB_MIGRATE_ON_START", Output.of("false"));
        env.put("DATABASE_CA_CERT", database.caCertificate());
        env.put("BOOTSTRAP_ADMIN_CLIENT_ID", Output.of("agentidp-admin"));
        env.put("REDIS_TLS_CA_CERT", cache.caCertificate());
        config.kafkaBrokers().ifPresent(brokers -> {
            env.put("KAFKA_BROKERS", Output.of(brokers));
            env.put("KAFKA_SECURITY_PROTOCOL", Output.of("SASL_SSL"));
            env.put("KAFKA_SASL_MECHANISM", Output.of("SCRAM-SHA-512"));
        });
        new TreeMap<>(config.features()).forEach((flag, value) -> env.put(flag, Output.of(value)));
        return env;
    }

    /** The migrate job's plain settings: it creates and grants the runtime role the service connects as. */
    static Map<String, Output<String>> migrateEnvironment(Database database) {
        Map<String, Output<String>> env = new LinkedHashMap<>();
        env.put("NODE_ENV", Output.of("production"));
        env.put("DATABASE_RUNTIME_ROLE", Output.of(Database.RUNTIME_ROLE));
        env.put("DATABASE_CA_CERT", database.caCertificate());
        return env;
    }
}
