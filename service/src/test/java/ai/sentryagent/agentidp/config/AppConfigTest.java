package ai.sentryagent.agentidp.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.crypto.Pem;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import java.security.KeyPair;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AppConfigTest {
    private static final KeyPair PAIR = SigningKeys.generate(2048);
    private static final String PRIVATE_PEM = Pem.encodePrivate(PAIR.getPrivate());

    private static Map<String, String> valid() {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", "postgres://idp:s3cr%40t@db.internal:5433/agentidp?sslmode=require");
        env.put("REDIS_URL", "rediss://:t0ken@cache.internal:6380/2");
        env.put("ISSUER_URL", "https://idp.example.com/");
        env.put("JWT_PRIVATE_KEY", PRIVATE_PEM);
        env.put("CREDENTIAL_HASH_KEY", "0123456789abcdef0123456789abcdef");
        env.put("AUDIT_CHAIN_KEY", "fedcba9876543210fedcba9876543210");
        return env;
    }

    @Test
    void readsATypedRecordWithDefaults() {
        AppConfig config = AppConfig.fromEnvironment(valid());
        assertThat(config.port()).isEqualTo(3000);
        assertThat(config.database().host()).isEqualTo("db.internal");
        assertThat(config.database().port()).isEqualTo(5433);
        assertThat(config.database().user()).isEqualTo("idp");
        assertThat(config.database().password()).isEqualTo("s3cr@t");
        assertThat(config.database().sslMode()).isEqualTo(DatabaseUrl.SslMode.REQUIRE);
        assertThat(config.redis().tls()).isTrue();
        assertThat(config.redis().password()).isEqualTo("t0ken");
        assertThat(config.redis().database()).isEqualTo(2);
        assertThat(config.pool()).isEqualTo(new AppConfig.PoolConfig(20, 2, 30_000, 5_000));
    }

    @Test
    void acceptsBothPostgresSchemes() {
        assertThat(DatabaseUrl.parse("postgresql://u@h/d").host()).isEqualTo("h");
        assertThat(DatabaseUrl.parse("postgres://u@h/d").port()).isEqualTo(5432);
        assertThat(DatabaseUrl.parse("postgresql://u:p@[::1]:6000/d").jdbcUrl())
                .isEqualTo("jdbc:postgresql://[::1]:6000/d?sslmode=prefer");
    }

    @Test
    void acceptsBothRedisSchemes() {
        assertThat(RedisUrl.parse("redis://localhost").tls()).isFalse();
        assertThat(RedisUrl.parse("rediss://user:p%2Fw@h:6380").connectionString())
                .isEqualTo("rediss://user:p%2Fw@h:6380/0");
    }

    @Test
    void malformedPortNamesTheVariable() {
        Map<String, String> env = valid();
        env.put("PORT", "eighty");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .isInstanceOf(ConfigException.class)
                .hasMessage("PORT must be an integer between 0 and 65535, got 'eighty'");
        env.put("PORT", "70000");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env)).hasMessageStartingWith("PORT must be between");
    }

    @Test
    void malformedDatabaseUrlNamesTheVariableWithoutEchoingIt() {
        Map<String, String> env = valid();
        env.put("DATABASE_URL", "mysql://root:hunter2@db/agentidp");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessage("DATABASE_URL must start with postgres:// or postgresql://")
                .hasMessageNotContaining("hunter2");
        env.put("DATABASE_URL", "postgres://root:hun ter2@db/agentidp");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessageStartingWith("DATABASE_URL is not a valid URL")
                .hasMessageNotContaining("hun ter2");
        env.put("DATABASE_URL", "postgres://root@db");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env)).hasMessageStartingWith("DATABASE_URL has no database");
        env.put("DATABASE_URL", "postgres://root@db/x?sslmode=sometimes");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessageStartingWith("DATABASE_URL has an unsupported sslmode");
    }

    @Test
    void missingRequiredValuesAreAllReported() {
        assertThatThrownBy(() -> AppConfig.fromEnvironment(Map.of("PORT", "x")))
                .isInstanceOfSatisfying(
                        ConfigException.class,
                        e -> assertThat(e.problems())
                                .hasSize(7)
                                .anyMatch(p -> p.startsWith("AUDIT_CHAIN_KEY is required"))
                                .anyMatch(p -> p.startsWith("PORT"))
                                .anyMatch(p -> p.startsWith("DATABASE_URL is required"))
                                .anyMatch(p -> p.startsWith("REDIS_URL is required")));
    }

    /** F-12: the audit chain's HMAC key is as strong as the credential hash key, or startup stops. */
    @Test
    void aShortAuditChainKeyIsRefusedByName() {
        Map<String, String> env = valid();
        env.put("AUDIT_CHAIN_KEY", "too-short");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessageContaining("AUDIT_CHAIN_KEY must be at least 32 characters, got 9")
                .hasMessageNotContaining("too-short");
    }

    /** Issue 18: the audit trail's completeness is the default; a typo must not silently choose either mode. */
    @Test
    void auditDurabilityDefaultsToSyncAndABadValueStopsStartupByName() {
        AppConfig defaults = AppConfig.fromEnvironment(valid());
        assertThat(defaults.auditWrites().durability()).isEqualTo(AuditWrites.Durability.SYNC);
        assertThat(defaults.auditWrites().timeout()).isEqualTo(Duration.ofSeconds(2));
        Map<String, String> env = valid();
        env.put("AUDIT_DURABILITY", "ASYNC");
        env.put("AUDIT_WRITE_TIMEOUT_MS", "750");
        assertThat(AppConfig.fromEnvironment(env).auditWrites())
                .isEqualTo(new AuditWrites(AuditWrites.Durability.ASYNC, Duration.ofMillis(750)));
        env.put("AUDIT_DURABILITY", "eventually");
        env.put("AUDIT_WRITE_TIMEOUT_MS", "0");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessageContaining("AUDIT_DURABILITY must be sync or async, got 'eventually'")
                .hasMessageContaining("AUDIT_WRITE_TIMEOUT_MS must be between 50 and 30000, got 0");
    }

    @Test
    void poolBoundsAreChecked() {
        Map<String, String> env = valid();
        env.put("DB_POOL_MIN", "30");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env)).hasMessageContaining("DB_POOL_MIN (30)");
        env.put("DB_POOL_MIN", "2");
        env.put("DB_POOL_MAX", "0");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env)).hasMessageStartingWith("DB_POOL_MAX must be between");
    }

    @Test
    void requestBodyBudgetAndDeadlineAreChecked() {
        // F-17: a budget below one 64 KiB body would refuse every POST; a deadline of 0 would close every one.
        Map<String, String> env = valid();
        assertThat(AppConfig.fromEnvironment(env).http().bodyBudgetBytes()).isEqualTo((int) Math.max(
                65_536, Math.min(Integer.MAX_VALUE, Runtime.getRuntime().maxMemory() / 4)));
        env.put("HTTP_BODY_BUDGET_BYTES", "1000");
        env.put("HTTP_BODY_TIMEOUT_MS", "0");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessageContaining("HTTP_BODY_BUDGET_BYTES must be between 65536")
                .hasMessageContaining("HTTP_BODY_TIMEOUT_MS must be between 100");
    }

    @Test
    void badRedisUrlNamesTheVariable() {
        Map<String, String> env = valid();
        env.put("REDIS_URL", "http://cache:6379");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessage("REDIS_URL must start with redis:// or rediss:// (TLS)");
        env.put("REDIS_URL", "redis://cache:6379/99");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env)).hasMessageContaining("database index");
    }

    @Test
    void unimplementedFeaturesRefuseToStartInsteadOfBeingIgnored() {
        for (String flag :
                java.util.List.of("BILLING_ENABLED", "ANALYTICS_ENABLED", "TIER_ENFORCEMENT", "COMPLIANCE_ENABLED")) {
            Map<String, String> env = valid();
            env.put(flag, "true");
            assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                    .as(flag)
                    .hasMessageContaining(flag + "=true")
                    .hasMessageContaining("does not implement");
            env.put(flag, "false");
            assertThat(AppConfig.fromEnvironment(env)).isNotNull();
        }
        Map<String, String> env = valid();
        env.put("VAULT_ADDR", "https://vault.internal:8200");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env)).hasMessageContaining("VAULT_ADDR is set");
    }

    @Test
    void companionVariablesWithoutTheirFeatureAreReportedNotIgnored() {
        Map<String, String> env = valid();
        env.put("NODE_ENV", "test");
        env.put("STRIPE_SECRET_KEY", "sk_live_secret");
        env.put("VAULT_MOUNT", "secret");
        AppConfig config = AppConfig.fromEnvironment(env);
        assertThat(config.notices())
                .containsExactly(
                        "STRIPE_SECRET_KEY is set but unused: its feature is not enabled in this build",
                        "VAULT_MOUNT is set but unused: its feature is not enabled in this build");
        assertThat(config.notices().toString()).doesNotContain("sk_live_secret");
    }

    @Test
    void productionIsStrict() {
        Map<String, String> env = valid();
        env.put("NODE_ENV", "production");
        assertThat(AppConfig.fromEnvironment(env).http().enforceTls()).isTrue();
        env.put("ISSUER_URL", "http://idp.example.com");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessageContaining("ISSUER_URL must use https when NODE_ENV=production");
        env.put("NODE_ENV", "development");
        assertThat(AppConfig.fromEnvironment(env).http().enforceTls()).isFalse();
    }

    @Test
    void edgeAndRateLimitSettingsAreValidated() {
        Map<String, String> env = valid();
        env.put("CORS_ORIGIN", "https://a.example.com, https://b.example.com:8443");
        env.put("RATE_LIMIT_WINDOW_MS", "30000");
        env.put("RATE_LIMIT_MAX_REQUESTS", "5");
        env.put("REDIS_RATE_LIMIT_ENABLED", "false");
        env.put("TRUSTED_PROXY_COUNT", "1");
        AppConfig config = AppConfig.fromEnvironment(env);
        assertThat(config.http().corsOrigins()).containsExactly("https://a.example.com", "https://b.example.com:8443");
        assertThat(config.rateLimit()).isEqualTo(new AppConfig.RateLimitConfig(false, 30_000, 5, 10, 50, 500));
        assertThat(config.http().trustedProxies()).isEqualTo(1);
        env.put("CORS_ORIGIN", "not an origin");
        env.put("RATE_LIMIT_MAX_REQUESTS", "0");
        env.put("REDIS_TLS_CA_CERT", "not a certificate");
        env.put("ENFORCE_TLS", "sometimes");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessageContaining("CORS_ORIGIN holds 'not an origin'")
                .hasMessageContaining("RATE_LIMIT_MAX_REQUESTS must be between 1")
                .hasMessageContaining("REDIS_TLS_CA_CERT must be a PEM certificate")
                .hasMessageContaining("ENFORCE_TLS must be true or false");
    }

    @Test
    void passwordsNeverAppearInToString() {
        AppConfig config = AppConfig.fromEnvironment(valid());
        assertThat(config.toString()).doesNotContain("s3cr@t").doesNotContain("t0ken");
    }

    /** A real (public) CA certificate; DATABASE_CA_CERT is parsed as X.509, not just grepped for a header. */
    private static final String CA_PEM = """
            -----BEGIN CERTIFICATE-----
            MIIBnDCCAUGgAwIBAgIUTMtZwmetpA2wIc21uFhFsYg8LjgwCgYIKoZIzj0EAwIw
            IjEgMB4GA1UEAwwXYWdlbnRpZHAgY29uZmlnIHRlc3QgQ0EwIBcNMjYxMjAyMDUz
            MzA2WhgPMjEyNjExMDgwNTMzMDZaMCIxIDAeBgNVBAMMF2FnZW50aWRwIGNvbmZp
            ZyB0ZXN0IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAElrWDyUgB+6sENDGE
            Eqxi3UYA9yG3P7N7tZP/G4xuR+rICt22UIZC/duf7pkuSHKaplRNPNxuQWc4DMHx
            HriRL6NTMFEwHQYDVR0OBBYEFNS4QeCLLjFRWXhZ10qsUuwiY+MoMB8GA1UdIwQY
            MBaAFNS4QeCLLjFRWXhZ10qsUuwiY+MoMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZI
            zj0EAwIDSQAwRgIhAMCc9VJOoTQGkFvB8oVF04Kdpeml6eq4DX6G6uHjoen2AiEA
            3/7BzIC+qNKlXzc6Hb+1/vYamygGqlDkCa17aKErr0Q=
            -----END CERTIFICATE-----
            """;

    /** libpq: verify-ca and verify-full need a root certificate to verify against (libpq-ssl.html, 34.19.1). */
    @Test
    void verifyingSslModesNeedTheCaBundle() {
        Map<String, String> env = valid();
        env.put("DATABASE_URL", "postgres://idp:pw@db.internal/agentidp?sslmode=verify-full");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessageStartingWith("DATABASE_CA_CERT is required with sslmode=verify-full in DATABASE_URL");
        env.put("DATABASE_CA_CERT", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessageContaining("DATABASE_CA_CERT must be a PEM certificate bundle");
        env.put("DATABASE_CA_CERT", CA_PEM.replace("\n", "\\n"));
        AppConfig config = AppConfig.fromEnvironment(env);
        assertThat(config.database().sslMode()).isEqualTo(DatabaseUrl.SslMode.VERIFY_FULL);
        assertThat(config.database().caCertificate()).contains(CA_PEM);
        assertThat(config.notices()).isEmpty();
        env.put("DATABASE_URL", "postgres://idp:pw@10.0.0.3/agentidp?sslmode=verify-ca");
        assertThat(AppConfig.fromEnvironment(env).database().sslMode()).isEqualTo(DatabaseUrl.SslMode.VERIFY_CA);
    }

    @Test
    void productionWarnsWhenTheDatabaseServerIsNotAuthenticated() {
        Map<String, String> env = valid();
        env.put("NODE_ENV", "production");
        assertThat(AppConfig.fromEnvironment(env).notices())
                .anyMatch(notice -> notice.startsWith("DATABASE_URL has sslmode=require, which does not authenticate"));
        env.put("DATABASE_CA_CERT", CA_PEM);
        assertThat(AppConfig.fromEnvironment(env).notices())
                .anyMatch(notice -> notice.startsWith("DATABASE_CA_CERT is set but unused"));
    }

    @Test
    void databaseUrlPartsComeFromTheVertxParserWithoutItsDefaults() {
        // Without user information libpq connects as... the OS user; we keep the documented default "postgres".
        DatabaseUrl bare = DatabaseUrl.parse("postgres://db.internal/agentidp");
        assertThat(bare.user()).isEqualTo("postgres");
        assertThat(bare.password()).isNull();
        assertThat(bare.sslMode()).isEqualTo(DatabaseUrl.SslMode.PREFER);
        // Generated passwords carry '+' and '/' (base64); RFC 3986 allows '+' in user information.
        assertThat(DatabaseUrl.parse("postgres://idp:a+b%2Fc@db/agentidp").password())
                .isEqualTo("a+b/c");
        Map<String, String> env = valid();
        env.put("DATABASE_URL", "postgres://idp:hunter2@db:0/agentidp");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env)).hasMessageNotContaining("hunter2");
        env.put("DATABASE_URL", "postgres://:hunter2@db/agentidp");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessageStartingWith("DATABASE_URL is not a valid URL")
                .hasMessageNotContaining("hunter2");
        env.put("DATABASE_URL", "postgres://idp:hunter2@db/agentidp?application_name=x");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessage("DATABASE_URL has an unsupported parameter 'application_name' (supported: sslmode)");
    }

    @Test
    void theRuntimeRoleIsValidatedForMigrate() {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", "postgres://migrator:pw@db/agentidp?sslmode=disable");
        env.put("DATABASE_RUNTIME_ROLE", "agentidp_app");
        env.put("DATABASE_RUNTIME_PASSWORD", "a-runtime-password-of-some-length");
        AppConfig.MigrationConfig config = AppConfig.migrationFromEnvironment(env);
        assertThat(config.runtimeRole().orElseThrow().name()).isEqualTo("agentidp_app");
        assertThat(config.toString()).doesNotContain("a-runtime-password-of-some-length");
        env.put("DATABASE_RUNTIME_ROLE", "app\"; DROP TABLE agents; --");
        assertThatThrownBy(() -> AppConfig.migrationFromEnvironment(env))
                .hasMessageStartingWith("DATABASE_RUNTIME_ROLE must be a role name");
        env.put("DATABASE_RUNTIME_ROLE", "migrator");
        assertThatThrownBy(() -> AppConfig.migrationFromEnvironment(env))
                .hasMessageStartingWith("DATABASE_RUNTIME_ROLE must differ from the user of DATABASE_URL");
        env.remove("DATABASE_RUNTIME_ROLE");
        assertThatThrownBy(() -> AppConfig.migrationFromEnvironment(env))
                .hasMessage("DATABASE_RUNTIME_PASSWORD is set without DATABASE_RUNTIME_ROLE");
    }
}
