package ai.sentryagent.agentidp.infra.aws;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    private Secret databaseUrl;
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
        this.jwtPrivateKey = Secret.fromSecretCompleteArn(this, "JwtPrivateKey", jwtPrivateKeyArn);
        this.jwtPublicKey = Secret.fromSecretCompleteArn(this, "JwtPublicKey", jwtPublicKeyArn);
    }

    private static final String NO_AUTOMATIC_ROTATION =
            "Not rotated by a Lambda: %s Rotation is a documented procedure (docs/deployment.md).";

    private Secret generated(String id, String name, int length, String whyNoRotation) {
        Secret secret = Secret.Builder.create(this, id)
                .secretName(names.secret(name))
                .description("AgentIdP " + name + " (generated at deploy)")
                .generateSecretString(SecretStringGenerator.builder()
                        .passwordLength(length)
                        .excludePunctuation(true)
                        .includeSpace(false)
                        .build())
                .removalPolicy(protection.retainOrDestroy())
                .build();
        ((CfnResource) secret.getNode().getDefaultChild()).overrideLogicalId("Secret" + id);
        Nag.acknowledge(secret, "AwsSolutions-SMG4", String.format(NO_AUTOMATIC_ROTATION, whyNoRotation));
        return secret;
    }

    /**
     * {@code DATABASE_URL}, composed by CloudFormation from the generated master secret and the instance endpoint.
     * The generated password has no URL-unsafe characters ({@link Database#URL_UNSAFE_CHARACTERS}).
     */
    public Secret composeDatabaseUrl(Database database) {
        String url = Fn.join(
                "",
                List.of(
                        "postgres://",
                        Database.MASTER_USER,
                        ":",
                        database.masterSecret().secretValueFromJson("password").unsafeUnwrap(),
                        "@",
                        database.instance().getDbInstanceEndpointAddress(),
                        ":",
                        database.instance().getDbInstanceEndpointPort(),
                        "/",
                        Database.DATABASE_NAME,
                        "?sslmode=require"));
        databaseUrl = composed("DatabaseUrl", "database-url", url);
        return databaseUrl;
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

    /** The secrets the service container gets, by environment variable. */
    public Map<String, ISecret> forService() {
        Map<String, ISecret> secrets = new LinkedHashMap<>();
        secrets.put("DATABASE_URL", databaseUrl);
        secrets.put("REDIS_URL", redisUrl);
        secrets.put("JWT_PRIVATE_KEY", jwtPrivateKey);
        secrets.put("JWT_PUBLIC_KEY", jwtPublicKey);
        secrets.put("CREDENTIAL_HASH_KEY", credentialHashKey);
        secrets.put("AUDIT_CHAIN_KEY", auditChainKey);
        secrets.put("BOOTSTRAP_ADMIN_SECRET", bootstrapAdminSecret);
        return secrets;
    }

    /** The migrate task only needs the database. */
    public Map<String, ISecret> forMigrate() {
        return Map.of("DATABASE_URL", databaseUrl);
    }

    public Secret databaseUrl() {
        return databaseUrl;
    }

    public Secret bootstrapAdminSecret() {
        return bootstrapAdminSecret;
    }
}
