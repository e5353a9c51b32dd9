package ai.sentryagent.agentidp.config;

import ai.sentryagent.agentidp.crypto.Pem;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the service reads from its environment, read once at startup and validated. Nothing below the
 * command line reads {@code System.getenv}; it is handed this record. Secret values are {@link Secret}s or key
 * objects, so printing the record leaks nothing.
 *
 * @param environment the deployment environment name ({@code NODE_ENV}, kept for compatibility with the seed)
 * @param port the HTTP port ({@code PORT})
 * @param bindAddress the address the HTTP server listens on ({@code BIND_ADDRESS}; all interfaces unless set)
 * @param database where PostgreSQL is and the CA that authenticates it ({@code DATABASE_URL},
 *     {@code DATABASE_CA_CERT})
 * @param pool the PostgreSQL pool sizing ({@code DB_POOL_*})
 * @param migrateOnStart whether startup applies database migrations ({@code DB_MIGRATE_ON_START})
 * @param redis where Redis is ({@code REDIS_URL})
 * @param redisKeyPrefix the prefix of every Redis key this service writes ({@code REDIS_KEY_PREFIX})
 * @param tokens how access tokens are issued ({@code ISSUER_URL}, {@code TOKEN_*}, {@code JWT_*})
 * @param credentialHashKey the key of the client-secret HMAC ({@code CREDENTIAL_HASH_KEY})
 * @param bootstrapAdmin the built-in administrator client, when {@code BOOTSTRAP_ADMIN_SECRET} is set
 * @param scopes the scope catalogue ({@code CUSTOM_SCOPES} plus the management scopes)
 * @param http edge behaviour: TLS enforcement, CORS, trusted proxies ({@code ENFORCE_TLS}, {@code CORS_ORIGIN},
 *     {@code TRUSTED_PROXY_COUNT})
 * @param rateLimit token endpoint limits ({@code REDIS_RATE_LIMIT_ENABLED}, {@code RATE_LIMIT_*},
 *     {@code AUTH_FAILURE_*})
 * @param redisTlsCaCert the CA to trust for {@code rediss://} ({@code REDIS_TLS_CA_CERT}), else the JVM's
 * @param policyDir where the authorization policy lives ({@code POLICY_DIR})
 * @param notices variables that were set but have no effect in this build, to be logged at startup
 * @param opaUrl where to delegate authorization decisions ({@code OPA_URL}), if anywhere; prints without credentials
 * @param auditRetentionDays how long audit events stay in the live table ({@code AUDIT_RETENTION_DAYS})
 * @param auditChainKey the key of the audit trail's HMAC chain ({@code AUDIT_CHAIN_KEY}); the database never holds it
 * @param auditWrites whether delivering answers wait for their audit event, and how long ({@code AUDIT_DURABILITY},
 *     {@code AUDIT_WRITE_TIMEOUT_MS})
 * @param kafka where the committed audit trail is streamed ({@code KAFKA_*}), if anywhere
 * @param federationAllowHttpLoopback whether trust policies may fetch issuer keys over plain HTTP from a loopback
 *     address ({@code FEDERATION_ALLOW_HTTP_LOOPBACK}; a local test issuer, never in production)
 */
public record AppConfig(
        String environment,
        int port,
        String bindAddress,
        DatabaseUrl database,
        PoolConfig pool,
        boolean migrateOnStart,
        RedisUrl redis,
        String redisKeyPrefix,
        TokenConfig tokens,
        Secret credentialHashKey,
        Optional<BootstrapAdmin> bootstrapAdmin,
        Scopes scopes,
        HttpConfig http,
        RateLimitConfig rateLimit,
        Optional<String> redisTlsCaCert,
        String policyDir,
        List<String> notices,
        Optional<OpaUrl> opaUrl,
        int auditRetentionDays,
        Secret auditChainKey,
        AuditWrites auditWrites,
        Optional<KafkaConfig> kafka,
        boolean federationAllowHttpLoopback) {

    /**
     * Edge behaviour.
     *
     * @param headerTimeoutMs how long a new connection may take to deliver a complete request head
     * @param bodyBudgetBytes how many bytes all unfinished request bodies of the process may reserve together
     * @param bodyTimeoutMs how long a request body may take to arrive completely
     */
    public record HttpConfig(
            boolean enforceTls,
            List<String> corsOrigins,
            int trustedProxies,
            int headerTimeoutMs,
            int bodyBudgetBytes,
            int bodyTimeoutMs) {}

    /**
     * OAuth endpoint limits, all per window: successful token requests per client; failed client authentications
     * per (client id, source IP) and per source IP (hard limits), and per client id from all addresses (a ceiling
     * past which only the addresses that failed for that client are refused).
     */
    public record RateLimitConfig(
            boolean redisEnabled,
            int windowMs,
            int maxRequests,
            int authFailuresPerClient,
            int authFailuresPerIp,
            int authFailureCeilingPerClient) {}

    /** PostgreSQL pool sizing. */
    public record PoolConfig(int max, int min, int idleTimeoutMs, int connectionTimeoutMs) {}

    /** How tokens are issued and verified. */
    /**
     * Token issuance. {@code clientCacheMaxAge}: how long the token endpoint may answer from its in-memory copy of a
     * client, and the jwt-bearer grant from its copy of an issuer's trust policies (both kept fresh by PostgreSQL
     * change notifications; this bounds staleness if they silently stop); zero turns both caches off.
     * {@code delegationMaxDepth}: the longest actor chain a delegation may allow (RFC 8693 token exchange), and its
     * default; {@code exchangeMaxLifetime}: the longest a token from a token exchange lives.
     */
    public record TokenConfig(
            String issuer,
            String audience,
            Duration ttl,
            SigningKeys keys,
            Duration clientCacheMaxAge,
            int delegationMaxDepth,
            Duration exchangeMaxLifetime) {}

    /** The built-in administrator client. */
    public record BootstrapAdmin(String clientId, Secret secret) {}

    public static final int DEFAULT_PORT = 3000;
    public static final int MIN_HASH_KEY_LENGTH = 32;

    /** Reads and validates the configuration; throws {@link ConfigException} naming every bad variable. */
    public static AppConfig fromEnvironment(Map<String, String> variables) {
        Env env = new Env(variables);
        String environment = env.string("NODE_ENV", "production");
        boolean production = environment.equals("production");
        int port = env.integer("PORT", DEFAULT_PORT, 0, 65535);
        String bindAddress = env.string("BIND_ADDRESS", "0.0.0.0");
        if (!bindAddress.matches("[A-Za-z0-9.:-]{1,253}")) {
            env.problem("BIND_ADDRESS must be an IP address or host name, such as 127.0.0.1, 0.0.0.0 or ::");
        }
        List<String> databaseNotices = new java.util.ArrayList<>();
        DatabaseUrl database = database(env, production, databaseNotices);
        PoolConfig pool = new PoolConfig(
                env.integer("DB_POOL_MAX", 20, 1, 1000),
                env.integer("DB_POOL_MIN", 2, 0, 1000),
                env.integer("DB_POOL_IDLE_TIMEOUT_MS", 30_000, 0, 86_400_000),
                env.integer("DB_POOL_CONNECTION_TIMEOUT_MS", 5_000, 100, 600_000));
        if (pool.min() > pool.max()) {
            env.problem("DB_POOL_MIN (" + pool.min() + ") must not exceed DB_POOL_MAX (" + pool.max() + ")");
        }
        boolean migrateOnStart = env.bool("DB_MIGRATE_ON_START", true);
        RedisUrl redis = env.parsed(
                "REDIS_URL", env.required("REDIS_URL", "redis://host:6379 or rediss://host:6379"), RedisUrl::parse);
        String redisKeyPrefix = env.string("REDIS_KEY_PREFIX", "agentidp:");
        if (!redisKeyPrefix.matches("[A-Za-z0-9:_.-]{1,64}")) {
            env.problem("REDIS_KEY_PREFIX must be 1-64 characters of letters, digits, ':', '_', '.', '-'");
        }

        TokenConfig tokens = tokens(env, production);

        String hashKey =
                env.required("CREDENTIAL_HASH_KEY", "at least 32 random characters, e.g. openssl rand -hex 32");
        if (hashKey != null && hashKey.length() < MIN_HASH_KEY_LENGTH) {
            env.problem("CREDENTIAL_HASH_KEY must be at least " + MIN_HASH_KEY_LENGTH + " characters, got "
                    + hashKey.length());
        }

        Optional<BootstrapAdmin> bootstrap = Optional.empty();
        Optional<String> bootstrapSecret = env.optional("BOOTSTRAP_ADMIN_SECRET");
        String bootstrapClientId = env.string("BOOTSTRAP_ADMIN_CLIENT_ID", "agentidp-admin");
        if (!bootstrapClientId.matches("[A-Za-z0-9._-]{3,64}")) {
            env.problem("BOOTSTRAP_ADMIN_CLIENT_ID must be 3-64 letters, digits, '.', '_' or '-'");
        }
        if (bootstrapSecret.isPresent()) {
            if (bootstrapSecret.get().length() < 32) {
                env.problem("BOOTSTRAP_ADMIN_SECRET must be at least 32 characters, got "
                        + bootstrapSecret.get().length());
            } else {
                bootstrap = Optional.of(new BootstrapAdmin(bootstrapClientId, new Secret(bootstrapSecret.get())));
            }
        }

        Set<String> custom = new LinkedHashSet<>();
        for (String scope : env.string("CUSTOM_SCOPES", "").split("[,\\s]+")) {
            if (scope.isEmpty()) {
                continue;
            }
            if (!Scopes.wellFormed(scope)) {
                env.problem("CUSTOM_SCOPES holds '" + Env.printable(scope)
                        + "', which is not a valid scope (RFC 6749 section 3.3)");
            } else if (Scopes.MANAGEMENT.contains(scope)) {
                env.problem("CUSTOM_SCOPES must not repeat the built-in scope '" + scope + "'");
            } else {
                custom.add(scope);
            }
        }

        HttpConfig http = new HttpConfig(
                env.bool("ENFORCE_TLS", production),
                corsOrigins(env),
                env.integer("TRUSTED_PROXY_COUNT", 0, 0, 10),
                env.integer("HTTP_HEADER_TIMEOUT_MS", 10_000, 100, 300_000),
                // A quarter of the heap: unfinished bodies can never take the memory the rest of the process needs.
                env.integer("HTTP_BODY_BUDGET_BYTES", defaultBodyBudget(), 65_536, Integer.MAX_VALUE),
                env.integer("HTTP_BODY_TIMEOUT_MS", 10_000, 100, 300_000));
        RateLimitConfig rateLimit = new RateLimitConfig(
                env.bool("REDIS_RATE_LIMIT_ENABLED", true),
                env.integer("RATE_LIMIT_WINDOW_MS", 60_000, 1_000, 86_400_000),
                env.integer("RATE_LIMIT_MAX_REQUESTS", 100, 1, 1_000_000),
                env.integer("AUTH_FAILURE_MAX_PER_CLIENT", 10, 1, 1_000_000),
                env.integer("AUTH_FAILURE_MAX_PER_IP", 50, 1, 1_000_000),
                env.integer("AUTH_FAILURE_CEILING_PER_CLIENT", 500, 1, 1_000_000));
        Optional<String> redisCa = env.optional("REDIS_TLS_CA_CERT");
        redisCa.ifPresent(pem -> {
            if (!Pem.unescape(pem).contains("-----BEGIN CERTIFICATE-----")) {
                env.problem("REDIS_TLS_CA_CERT must be a PEM certificate (-----BEGIN CERTIFICATE-----)");
            }
        });
        String policyDir = env.string("POLICY_DIR", "./policies");
        List<String> notices = new java.util.ArrayList<>(databaseNotices);
        notices.addAll(Features.check(env));
        Optional<KafkaConfig> kafka = KafkaConfig.read(env, production, notices);
        Optional<OpaUrl> opaUrl = env.optional("OPA_URL").map(url -> env.parsed("OPA_URL", url, OpaUrl::parse));
        int auditRetentionDays = env.integer("AUDIT_RETENTION_DAYS", 90, 1, 3650);
        String chainKey = env.required(
                "AUDIT_CHAIN_KEY",
                "at least 32 random characters kept outside the database, e.g. openssl rand -hex 32");
        if (chainKey != null && chainKey.length() < MIN_HASH_KEY_LENGTH) {
            env.problem("AUDIT_CHAIN_KEY must be at least " + MIN_HASH_KEY_LENGTH + " characters, got "
                    + chainKey.length());
        }

        AuditWrites auditWrites = auditWrites(env);
        boolean federationAllowHttpLoopback = env.bool("FEDERATION_ALLOW_HTTP_LOOPBACK", false);
        if (federationAllowHttpLoopback && production) {
            // Keys fetched in plain text can be swapped by anyone on the path; production issuers are HTTPS.
            env.problem("FEDERATION_ALLOW_HTTP_LOOPBACK must not be true when NODE_ENV is production");
        }

        env.throwIfInvalid();
        return new AppConfig(
                environment,
                port,
                bindAddress,
                database,
                pool,
                migrateOnStart,
                redis,
                redisKeyPrefix,
                tokens,
                new Secret(hashKey),
                bootstrap,
                new Scopes(custom),
                http,
                rateLimit,
                redisCa.map(Pem::unescape),
                policyDir,
                List.copyOf(notices),
                opaUrl,
                auditRetentionDays,
                new Secret(chainKey),
                auditWrites,
                kafka,
                federationAllowHttpLoopback);
    }

    private static AuditWrites auditWrites(Env env) {
        String raw = env.string("AUDIT_DURABILITY", "sync");
        Optional<AuditWrites.Durability> durability = AuditWrites.Durability.parse(raw);
        if (durability.isEmpty()) {
            env.problem("AUDIT_DURABILITY must be sync or async, got '" + Env.printable(raw) + "'");
        }
        int timeoutMs = env.integer("AUDIT_WRITE_TIMEOUT_MS", (int) AuditWrites.DEFAULT_TIMEOUT.toMillis(), 50, 30_000);
        return new AuditWrites(durability.orElse(AuditWrites.Durability.SYNC), Duration.ofMillis(timeoutMs));
    }

    private static int defaultBodyBudget() {
        return (int) Math.max(
                65_536, Math.min(Integer.MAX_VALUE, Runtime.getRuntime().maxMemory() / 4));
    }

    private static List<String> corsOrigins(Env env) {
        List<String> origins = new java.util.ArrayList<>();
        for (String origin : env.string("CORS_ORIGIN", "").split(",")) {
            String trimmed = origin.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            if (!trimmed.equals("*") && !trimmed.matches("https?://[A-Za-z0-9.-]+(:\\d{1,5})?")) {
                env.problem("CORS_ORIGIN holds '" + Env.printable(trimmed)
                        + "', which is not an origin such as https://app.example.com (or *)");
            }
            origins.add(trimmed);
        }
        return List.copyOf(origins);
    }

    /** Only {@code PORT}, for {@code dev}, which derives its issuer URL from it. */
    public static int portFromEnvironment(Map<String, String> variables) {
        Env env = new Env(variables);
        int port = env.integer("PORT", DEFAULT_PORT, 1, 65535);
        env.throwIfInvalid();
        return port;
    }

    /** Only {@code DATABASE_URL} and {@code DATABASE_CA_CERT}, for commands that need nothing else. */
    public static DatabaseUrl databaseFromEnvironment(Map<String, String> variables) {
        Env env = new Env(variables);
        DatabaseUrl database = database(env, false, new java.util.ArrayList<>());
        env.throwIfInvalid();
        return database;
    }

    /**
     * What {@code migrate} reads: the migrator's {@code DATABASE_URL} (the schema owner) and, when the service is to
     * connect as a role of its own, {@code DATABASE_RUNTIME_ROLE} and optionally {@code DATABASE_RUNTIME_PASSWORD}.
     *
     * @param notices warnings to log (for example a server that is not authenticated in production)
     */
    public record MigrationConfig(DatabaseUrl database, Optional<RuntimeRole> runtimeRole, List<String> notices) {}

    /**
     * The role the service connects as: DML on the schema's tables, nothing that changes the schema.
     *
     * @param password the password to set; empty when the platform manages the role's credentials (Cloud SQL)
     */
    public record RuntimeRole(String name, Optional<Secret> password) {}

    /** Reads {@link MigrationConfig}; throws {@link ConfigException} naming every bad variable. */
    public static MigrationConfig migrationFromEnvironment(Map<String, String> variables) {
        Env env = new Env(variables);
        boolean production = env.string("NODE_ENV", "production").equals("production");
        List<String> notices = new java.util.ArrayList<>();
        DatabaseUrl database = database(env, production, notices);
        Optional<String> roleName = env.optional("DATABASE_RUNTIME_ROLE");
        Optional<String> rolePassword = env.optional("DATABASE_RUNTIME_PASSWORD");
        Optional<RuntimeRole> role = Optional.empty();
        if (roleName.isPresent()) {
            // PostgreSQL's identifier limit is 63 bytes; no quotes, so the name can never close its quoting.
            if (!roleName.get().matches("[A-Za-z_][A-Za-z0-9_.@-]{0,62}")) {
                env.problem("DATABASE_RUNTIME_ROLE must be a role name of 1-63 letters, digits, '_', '.', '@' or '-',"
                        + " starting with a letter or '_'");
            } else if (database != null && roleName.get().equals(database.user())) {
                env.problem("DATABASE_RUNTIME_ROLE must differ from the user of DATABASE_URL (the migrator, which"
                        + " owns the schema)");
            }
            if (rolePassword.isPresent() && rolePassword.get().length() < 16) {
                env.problem("DATABASE_RUNTIME_PASSWORD must be at least 16 characters, got "
                        + rolePassword.get().length());
            }
            role = Optional.of(new RuntimeRole(roleName.get(), rolePassword.map(Secret::new)));
        } else if (rolePassword.isPresent()) {
            env.problem("DATABASE_RUNTIME_PASSWORD is set without DATABASE_RUNTIME_ROLE");
        }
        env.throwIfInvalid();
        return new MigrationConfig(database, role, List.copyOf(notices));
    }

    private static DatabaseUrl database(Env env, boolean production, List<String> notices) {
        DatabaseUrl database = env.parsed(
                "DATABASE_URL",
                env.required("DATABASE_URL", "postgres://user:password@host:5432/database"),
                DatabaseUrl::parse);
        // The one-line form secret stores hold: literal \n between the lines.
        Optional<String> ca = env.optional("DATABASE_CA_CERT")
                .map(pem -> pem.replace("\\r\\n", "\n").replace("\\n", "\n"));
        if (ca.isPresent() && !isCertificateBundle(ca.get())) {
            env.problem("DATABASE_CA_CERT must be a PEM certificate bundle (-----BEGIN CERTIFICATE-----)");
            return database;
        }
        if (database == null) {
            return null;
        }
        String mode = "sslmode=" + database.sslMode().libpqName();
        if (database.sslMode().verifiesServer() && ca.isEmpty()) {
            env.problem("DATABASE_CA_CERT is required with " + mode + " in DATABASE_URL: the PEM bundle of the CA"
                    + " that signed the server certificate (the RDS bundle, the Cloud SQL server CA)");
        } else if (!database.sslMode().verifiesServer() && ca.isPresent()) {
            notices.add("DATABASE_CA_CERT is set but unused: " + mode + " in DATABASE_URL does not verify the"
                    + " server; use sslmode=verify-full (or verify-ca)");
        } else if (production && !database.sslMode().verifiesServer() && !isLoopback(database.host())) {
            // Not an error yet: deployments written before DATABASE_CA_CERT existed use sslmode=require.
            notices.add("DATABASE_URL has " + mode + ", which does not authenticate the database server: anyone"
                    + " on the network path can impersonate it; set sslmode=verify-full and DATABASE_CA_CERT");
        }
        return database.withCaCertificate(ca);
    }

    private static boolean isCertificateBundle(String pem) {
        if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
            return false;
        }
        try {
            return !java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificates(
                            new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
                    .isEmpty();
        } catch (java.security.cert.CertificateException e) {
            return false;
        }
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    }

    private static TokenConfig tokens(Env env, boolean production) {
        String issuer = env.required("ISSUER_URL", "the public base URL, e.g. https://idp.example.com");
        if (issuer != null) {
            issuer = validateIssuer(env, issuer, production);
        }
        String audience = env.string("TOKEN_AUDIENCE", issuer);
        int ttlSeconds = env.integer("TOKEN_TTL_SECONDS", 3600, 60, 86_400);
        int cacheSeconds = env.integer("CLIENT_CACHE_MAX_AGE_SECONDS", 30, 0, 300);
        int delegationMaxDepth = env.integer("DELEGATION_MAX_DEPTH", 3, 1, 10);
        int exchangeLifetimeSeconds = env.integer("TOKEN_EXCHANGE_MAX_LIFETIME_SECONDS", 300, 10, 3600);

        SigningKeys keys = null;
        String privatePem = env.required(
                "JWT_PRIVATE_KEY",
                "an RSA (RS256) or EC P-256 (ES256) private key in PEM; agentidp.jar keygen makes one");
        if (privatePem != null) {
            PrivateKey privateKey = env.parsed("JWT_PRIVATE_KEY", privatePem, Pem::privateKey);
            Optional<String> publicPem = env.optional("JWT_PUBLIC_KEY");
            PublicKey publicKey =
                    publicPem.isPresent() ? env.parsed("JWT_PUBLIC_KEY", publicPem.get(), Pem::publicKey) : null;
            List<PublicKey> previous = env.optional("JWT_PREVIOUS_PUBLIC_KEYS")
                    .map(pem -> env.parsed("JWT_PREVIOUS_PUBLIC_KEYS", pem, Pem::publicKeys))
                    .orElse(List.of());
            if (privateKey instanceof ECPrivateKey && publicPem.isEmpty()) {
                env.problem("JWT_PUBLIC_KEY is required with an EC (ES256) JWT_PRIVATE_KEY");
            } else if (privateKey != null && (publicKey != null || publicPem.isEmpty()) && previous != null) {
                PublicKey effectivePublic = publicKey != null ? publicKey : derivePublic((RSAPrivateCrtKey) privateKey);
                String variable = publicPem.isPresent() ? "JWT_PUBLIC_KEY" : "JWT_PRIVATE_KEY";
                try {
                    keys = SigningKeys.of(privateKey, effectivePublic, previous);
                } catch (IllegalArgumentException e) {
                    env.problem(variable + " " + e.getMessage());
                }
            }
        }
        return new TokenConfig(
                issuer,
                audience,
                Duration.ofSeconds(ttlSeconds),
                keys,
                Duration.ofSeconds(cacheSeconds),
                delegationMaxDepth,
                Duration.ofSeconds(exchangeLifetimeSeconds));
    }

    private static String validateIssuer(Env env, String raw, boolean production) {
        String issuer = raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw;
        try {
            URI uri = new URI(issuer);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null) {
                env.problem("ISSUER_URL must be an absolute http(s) URL, got '" + Env.printable(raw) + "'");
            } else if (uri.getQuery() != null || uri.getFragment() != null) {
                env.problem("ISSUER_URL must not have a query or fragment (RFC 8414)");
            } else if (production && !scheme.equals("https")) {
                env.problem("ISSUER_URL must use https when NODE_ENV=production");
            }
        } catch (URISyntaxException e) {
            env.problem("ISSUER_URL is not a valid URL: '" + Env.printable(raw) + "'");
        }
        return issuer;
    }

    private static PublicKey derivePublic(RSAPrivateCrtKey key) {
        try {
            return KeyFactory.getInstance("RSA")
                    .generatePublic(new RSAPublicKeySpec(key.getModulus(), key.getPublicExponent()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA is not available", e);
        }
    }
}
