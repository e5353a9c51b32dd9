package ai.sentryagent.agentidp.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.TlsPostgres;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS to a real PostgreSQL with libpq's sslmode meaning (https://www.postgresql.org/docs/current/libpq-ssl.html,
 * table 34.1): verify-ca accepts only a certificate that chains to DATABASE_CA_CERT, verify-full also requires it to
 * name the host connected to (RFC 6125); an impostor with another CA's certificate, or a genuine certificate for
 * another name, is refused before any credential is sent.
 */
@IntegrationTest
class PostgresTlsTest {
    /** What the Vert.x client reports (it keeps no cause); the service logs it and /health/ready turns 503. */
    private static final String HANDSHAKE_FAILED = "SSL handshake failed";

    private static TlsPostgres server;
    private static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        server = TlsPostgres.start();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void verifyFullWithTheServersCaConnectsEncrypted() throws Exception {
        DatabaseUrl url = url("localhost", "verify-full", server.caCertificate());
        assertThat(sslInUse(url)).isTrue();
    }

    @Test
    void verifyFullRefusesAServerSignedByAnotherCa() throws Exception {
        DatabaseUrl url = url("localhost", "verify-full", server.otherCaCertificate());
        assertThatThrownBy(() -> sslInUse(url)).hasMessage(HANDSHAKE_FAILED);
    }

    @Test
    void verifyCaRefusesAServerSignedByAnotherCa() throws Exception {
        DatabaseUrl url = url("127.0.0.1", "verify-ca", server.otherCaCertificate());
        assertThatThrownBy(() -> sslInUse(url)).hasMessage(HANDSHAKE_FAILED);
    }

    @Test
    void verifyFullRefusesACertificateForAnotherName() throws Exception {
        // The certificate names localhost only; 127.0.0.1 is the same machine but not the name it vouches for.
        DatabaseUrl url = url("127.0.0.1", "verify-full", server.caCertificate());
        // The same CA and host pass under verify-ca (below): only the name check refuses here.
        assertThatThrownBy(() -> sslInUse(url)).hasMessage(HANDSHAKE_FAILED);
    }

    @Test
    void verifyCaAcceptsTheCaWhateverTheName() throws Exception {
        // What Cloud SQL's per-instance CA needs: its certificates name the instance, not the private IP.
        DatabaseUrl url = url("127.0.0.1", "verify-ca", server.caCertificate());
        assertThat(sslInUse(url)).isTrue();
    }

    @Test
    void migrationsVerifyTheServerToo() throws Exception {
        assertThat(Migrations.apply(url("localhost", "verify-full", server.caCertificate())).success)
                .isTrue();
        assertThatThrownBy(() -> Migrations.apply(url("localhost", "verify-full", server.otherCaCertificate())))
                .hasMessageContaining("SSL");
    }

    private static DatabaseUrl url(String host, String sslMode, String ca) {
        return AppConfig.databaseFromEnvironment(Map.of(
                "DATABASE_URL",
                "postgres://postgres@" + host + ":" + server.port() + "/postgres?sslmode=" + sslMode,
                "DATABASE_CA_CERT",
                ca));
    }

    private static boolean sslInUse(DatabaseUrl url) throws Exception {
        try {
            return PgConnection.connect(vertx, Postgres.connectOptions(url))
                    .compose(connection -> connection
                            .query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                            .execute()
                            .map(rows -> rows.iterator().next().getBoolean(0))
                            .eventually(connection::close))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }
}
