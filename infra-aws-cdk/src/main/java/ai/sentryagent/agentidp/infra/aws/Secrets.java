package ai.sentryagent.agentidp.infra.aws;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awscdk.CfnResource;
import software.amazon.awscdk.Fn;
import software.amazon.awscdk.SecretValue;
import software.amazon.awscdk.services.secretsmanager.ISecret;
import software.amazon.awscdk.services.secretsmanager.Secret;
import software.amazon.awscdk.services.secretsmanager.SecretStringGenerator;
import software.constructs.Construct;

/**
 * Every secret the service reads, under {@code /sentryagent-agentidp/<env>/}. Three kinds:
 *
 * <ul>
 *   <li>generated here: the Redis AUTH token, the credential hash key, the audit chain key, the bootstrap
 *       administrator secret;
 *   <li>composed here from generated credentials and endpoints: {@code database-url}, {@code redis-url} — the
 *       template only holds CloudFormation dynamic references, never a value;
 *   <li>imported by complete ARN (from context): {@code jwt-private-key} and {@code jwt-public-key}, created once
 *       with {@code agentidp.jar keygen} so AWS and GCP can share one key pair (docs/deployment.md). Never by name:
 *       ECS rejects the partial ARN that {@code fromSecretNameV2} yields (aws-cdk issues 18555, 20744).
 * </ul>
 */
public final class Secrets extends Construct {
    private final Names names;
    private final Protection protection;
    private final Secret redisAuthToken;
    private final Secret credentialHashKey;
    private final Secret auditChainKey;
    private final Secret bootstrapAdminSecret;
    private final ISecret jwtPrivateKey;
    private final ISecret jwtPublicKey;
    private final Secret databaseRuntimePassword;
    private final Optional<ISecret> kafkaCredentials;
    private Secret databaseUrl;
    private Secret databaseMigratorUrl;
    private Secret redisUrl;

    /**
     * @param jwtPrivateKeyArn the complete ARN (with the 6-character suffix) of the private key secret: ECS fetches
     *     task secrets by complete ARN only (aws-cdk issues 18555 and 20744)
     */
    public Secrets(
            Construct scope,
            String id,
            Names names,
            String jwtPrivateKeyArn,
            String jwtPublicKeyArn,
            Optional<String> kafkaCredentialsSecretArn,
            Protection protection) {
        super(scope, id);
        this.names = names;
        this.protection = protection;
        this.redisAuthToken = generated(
                "RedisAuthToken",
                "redis-auth-token",
                64,
                "ElastiCache AUTH rotation needs the ROTATE/SET strategy on the replication group, and redis-url is"
                        + " composed from this value.");
        this.credentialHashKey = generated(
                "CredentialHashKey",
                "credential-hash-key",
                64,
                "changing the key invalidates every stored client secret by design.");
        this.auditChainKey = generated(
                "AuditChainKey",
                "audit-chain-key",
                64,
                "the audit chain has no key rotation: events chained under the old key would stop verifying.");
        this.bootstrapAdminSecret = generated(
                "BootstrapAdminSecret",
                "bootstrap-admin-secret",
                48,
                "the service rotates the built-in client when this value changes and the tasks restart.");
        this.databaseRuntimePassword = generated(
                "DatabaseRuntimePassword",
                "database-runtime-password",
                48,
                "migrate sets the runtime role's password from it and database-url is composed from it; rotating is"
                        + " a new value, a migrate run and a restart.",
                Database.URL_UNSAFE_CHARACTERS);
        this.jwtPrivateKey = Secret.fromSecretCompleteArn(this, "JwtPrivateKey", jwtPrivateKeyArn);
        // By complete ARN, like the key pair: ECS refuses partial ARNs.
        this.kafkaCredentials =
                kafkaCredentialsSecretArn.map(arn -> Secret.fromSecretCompleteArn(this, "KafkaCredentials", arn));
        this.jwtPublicKey = Secret.fromSecretCompleteArn(this, "JwtPublicKey", jwtPublicKeyArn);
    }

    private static final String NO_AUTOMATIC_ROTATION =
            "Not rotated by a Lambda: %s Rotation is a documented procedure (docs/deployment.md).";

    private Secret generated(String id, String name, int length, String whyNoRotation) {
        return generated(id, name, length, whyNoRotation, null);
    }

    private Secret generated(String id, String name, int length, String whyNoRotation, String excludeCharacters) {
        SecretStringGenerator.Builder generator = SecretStringGenerator.builder()
                .passwordLength(length)
                .excludePunctuation(true)
                .includeSpace(false);
        if (excludeCharacters != null) {
            generator.excludeCharacters(excludeCharacters);
        }
        Secret secret = Secret.Builder.create(this, id)
                .secretName(names.secret(name))
                .description("AgentIdP " + name + " (generated at deploy)")
                .generateSecretString(generator.build())
                .removalPolicy(protection.retainOrDestroy())
                .build();
        ((CfnResource) secret.getNode().getDefaultChild()).overrideLogicalId("Secret" + id);
        Nag.acknowledge(secret, "AwsSolutions-SMG4", String.format(NO_AUTOMATIC_ROTATION, whyNoRotation));
        return secret;
    }

    /**
     * The two {@code DATABASE_URL}s, composed by CloudFormation from generated passwords and the instance endpoint
     * (neither password has URL-unsafe characters, {@link Database#URL_UNSAFE_CHARACTERS}):
     *
     * <ul>
     *   <li>{@code database-url}: the runtime role {@code agentidp_app} (DML only), what the service connects as;
     *   <li>{@code database-migrator-url}: the master user, who owns the schema; only the migrate task reads it.
     * </ul>
     *
     * @param sslMode {@code verify-full} when the stack hands the service the RDS CA bundle (the endpoint name is in
     *     the RDS server certificate), else {@code require}
     */
    public Secret composeDatabaseUrl(Database database, String sslMode) {
        databaseUrl = composed(
                "DatabaseUrl",
                "database-url",
                databaseUrl(
                        database,
                        Database.RUNTIME_ROLE,
                        databaseRuntimePassword.getSecretValue().unsafeUnwrap(),
                        sslMode));
        databaseMigratorUrl = composed(
                "DatabaseMigratorUrl",
                "database-migrator-url",
                databaseUrl(
                        database,
                        Database.MASTER_USER,
                        database.masterSecret().secretValueFromJson("password").unsafeUnwrap(),
                        sslMode));
        return databaseUrl;
    }

    private static String databaseUrl(Database database, String user, String password, String sslMode) {
        return Fn.join(
                "",
                List.of(
                        "postgres://",
                        user,
                        ":",
                        password,
                        "@",
                        database.instance().getDbInstanceEndpointAddress(),
                        ":",
                        database.instance().getDbInstanceEndpointPort(),
                        "/",
                        Database.DATABASE_NAME,
                        "?sslmode=" + sslMode));
    }

    /** {@code REDIS_URL} ({@code rediss://}), composed from the AUTH token and the primary endpoint. */
    public Secret composeRedisUrl(Cache cache) {
        String url = Fn.join(
                "",
                List.of(
                        "rediss://:",
                        redisAuthToken.getSecretValue().unsafeUnwrap(),
                        "@",
                        cache.primaryEndpoint(),
                        ":" + Cache.PORT));
        redisUrl = composed("RedisUrl", "redis-url", url);
        return redisUrl;
    }

    private Secret composed(String id, String name, String dynamicReferences) {
        Secret secret = Secret.Builder.create(this, id)
                .secretName(names.secret(name))
                .description("AgentIdP " + name + " (composed at deploy from generated credentials)")
                // Only {{resolve:secretsmanager:...}} references and endpoint tokens: nothing secret is in the
                // template.
                .secretStringValue(SecretValue.unsafePlainText(dynamicReferences))
                .removalPolicy(protection.retainOrDestroy())
                .build();
        ((CfnResource) secret.getNode().getDefaultChild()).overrideLogicalId("Secret" + id);
        Nag.acknowledge(
                secret,
                "AwsSolutions-SMG4",
                String.format(
                        NO_AUTOMATIC_ROTATION, "the value is derived from other secrets and changes when they do."));
        return secret;
    }

    public ISecret redisAuthToken() {
        return redisAuthToken;
    }

    /**
     * The secrets the service container gets, by environment variable: the runtime role's URL, never the
     * migrator's. {@code bootstrap} (one deploy, docs/deployment.md §2.4) hands it the migrator's URL instead, until
     * {@code migrate} has created the runtime role.
     */
    public Map<String, software.amazon.awscdk.services.ecs.Secret> forService(boolean bootstrap) {
        Map<String, software.amazon.awscdk.services.ecs.Secret> secrets = new LinkedHashMap<>();
        secrets.put(
                "DATABASE_URL",
                software.amazon.awscdk.services.ecs.Secret.fromSecretsManager(
                        bootstrap ? databaseMigratorUrl : databaseUrl));
        secrets.put("REDIS_URL", software.amazon.awscdk.services.ecs.Secret.fromSecretsManager(redisUrl));
        secrets.put("JWT_PRIVATE_KEY", software.amazon.awscdk.services.ecs.Secret.fromSecretsManager(jwtPrivateKey));
        secrets.put("JWT_PUBLIC_KEY", software.amazon.awscdk.services.ecs.Secret.fromSecretsManager(jwtPublicKey));
        secrets.put(
                "CREDENTIAL_HASH_KEY",
                software.amazon.awscdk.services.ecs.Secret.fromSecretsManager(credentialHashKey));
        secrets.put("AUDIT_CHAIN_KEY", software.amazon.awscdk.services.ecs.Secret.fromSecretsManager(auditChainKey));
        secrets.put(
                "BOOTSTRAP_ADMIN_SECRET",
                software.amazon.awscdk.services.ecs.Secret.fromSecretsManager(bootstrapAdminSecret));
        kafkaCredentials.ifPresent(kafka -> {
            // ECS reads one JSON key of a secret: <arn>:<key>:: (ECS developer guide, "Pass Secrets Manager secrets
            // through environment variables").
            secrets.put(
                    "KAFKA_SASL_USERNAME",
                    software.amazon.awscdk.services.ecs.Secret.fromSecretsManager(kafka, "username"));
            secrets.put(
                    "KAFKA_SASL_PASSWORD",
                    software.amazon.awscdk.services.ecs.Secret.fromSecretsManager(kafka, "password"));
        });
        return secrets;
    }

    /**
     * The migrate task: the migrator's URL (the master user owns the schema) and the runtime role's password, which
     * {@code migrate} sets on the role it creates ({@code DATABASE_RUNTIME_ROLE}). Nothing else: not the signing key.
     */
    public Map<String, software.amazon.awscdk.services.ecs.Secret> forMigrate() {
        Map<String, software.amazon.awscdk.services.ecs.Secret> secrets = new LinkedHashMap<>();
        secrets.put("DATABASE_URL", software.amazon.awscdk.services.ecs.Secret.fromSecretsManager(databaseMigratorUrl));
        secrets.put(
                "DATABASE_RUNTIME_PASSWORD",
                software.amazon.awscdk.services.ecs.Secret.fromSecretsManager(databaseRuntimePassword));
        return secrets;
    }

    public Secret databaseUrl() {
        return databaseUrl;
    }

    public Secret bootstrapAdminSecret() {
        return bootstrapAdminSecret;
    }
}
