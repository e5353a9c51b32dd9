package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.Context;
import com.pulumi.Pulumi;
import com.pulumi.core.Output;
import com.pulumi.resources.Resource;
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
        String prefix = config.names().prefix();
        List<Resource> apis = new Apis(prefix + "-apis", config).enabled();
        new Registry(prefix + "-registry", config, apis);
        Network network = new Network(prefix + "-network", config, apis);
        GcpConfig.Secrets seeds = config.secrets();
        Output<String> databasePassword = GeneratedSecrets.derive(seeds.databasePasswordSeed(), "database-password");
        Database database = new Database(prefix + "-database", config, network, databasePassword, apis);
        Cache cache = new Cache(prefix + "-cache", config, network, apis);
        RunIdentity identity = new RunIdentity(prefix + "-identity", config, apis);

        Map<String, Output<String>> secretValues = new LinkedHashMap<>();
        secretValues.put("DATABASE_URL", database.url());
        secretValues.put("REDIS_URL", cache.url());
        secretValues.put("JWT_PRIVATE_KEY", config.secrets().jwtPrivateKey());
        secretValues.put("JWT_PUBLIC_KEY", config.secrets().jwtPublicKey());
        secretValues.put(
                "CREDENTIAL_HASH_KEY", GeneratedSecrets.derive(seeds.credentialHashKeySeed(), "credential-hash-key"));
        secretValues.put("AUDIT_CHAIN_KEY", GeneratedSecrets.derive(seeds.auditChainKeySeed(), "audit-chain-key"));
        secretValues.put(
                "BOOTSTRAP_ADMIN_SECRET",
                GeneratedSecrets.derive(seeds.bootstrapAdminSecretSeed(), "bootstrap-admin-secret"));
        Secrets secrets = new Secrets(prefix + "-secrets", config, secretValues, identity.email(), apis);

        // The first revision reads every secret version and connects to the database: it waits for all of them.
        List<Resource> after = new java.util.ArrayList<>(apis);
        after.addAll(database.ready());
        Service service =
                new Service(prefix + "-service", config, network, identity, secrets, environment(config, cache), after);

        ctx.export("service_url", service.uri());
        // The manifest digest Cloud Run runs (deploy/image.json): the same as the AWS stack's ImageDigest output.
        ctx.export("image_digest", Output.of(config.imageDigest()));
        ctx.export("image", Output.of(config.image()));
        ctx.export("cloud_sql_connection_name", database.connectionName());
        ctx.export("memorystore_host", cache.host());
        ctx.export("run_service_account", identity.email());
        ctx.export(
                "migrate_command",
                Output.format(
                        "gcloud run jobs execute %s --region %s --project %s --wait",
                        service.jobName(), config.region(), config.project()));
    }

    /** Plain settings; secrets travel as Secret Manager references instead. */
    static Map<String, Output<String>> environment(GcpConfig config, Cache cache) {
        Map<String, Output<String>> env = new LinkedHashMap<>();
        env.put("NODE_ENV", Output.of("production"));
        env.put("ISSUER_URL", Output.of(config.issuerUrl()));
        env.put("POLICY_DIR", Output.of("/app/policies"));
        env.put("ENFORCE_TLS", Output.of("true"));
        // Google's front end appends the client's address to X-Forwarded-For: one trusted proxy.
        env.put("TRUSTED_PROXY_COUNT", Output.of("1"));
        env.put("DB_MIGRATE_ON_START", Output.of("true"));
        env.put("BOOTSTRAP_ADMIN_CLIENT_ID", Output.of("agentidp-admin"));
        env.put("REDIS_TLS_CA_CERT", cache.caCertificate());
        new TreeMap<>(config.features()).forEach((flag, value) -> env.put(flag, Output.of(value)));
        return env;
    }
}
