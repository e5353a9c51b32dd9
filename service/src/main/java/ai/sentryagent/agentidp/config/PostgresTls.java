package ai.sentryagent.agentidp.config;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemTrustOptions;

/**
 * The TLS side of a PostgreSQL connection, with libpq's meaning of {@code sslmode}
 * (https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION): {@code prefer}/{@code require}
 * encrypt without authenticating the server; {@code verify-ca} checks that the certificate chains to
 * {@code DATABASE_CA_CERT}; {@code verify-full} also checks that it names the host of {@code DATABASE_URL}.
 */
public final class PostgresTls {
    private PostgresTls() {}

    /** The client TLS options for {@code PgConnectOptions.setSslOptions}. */
    public static ClientSSLOptions sslOptions(DatabaseUrl url) {
        ClientSSLOptions options = new ClientSSLOptions();
        return switch (url.sslMode()) {
            case DISABLE -> options;
            case PREFER, REQUIRE -> options.setTrustAll(true).setHostnameVerificationAlgorithm("");
            case VERIFY_CA -> options.setTrustOptions(trust(url)).setHostnameVerificationAlgorithm("");
            // RFC 2818 / RFC 6125 name matching, as libpq does for verify-full.
            case VERIFY_FULL -> options.setTrustOptions(trust(url)).setHostnameVerificationAlgorithm("HTTPS");
        };
    }

    private static PemTrustOptions trust(DatabaseUrl url) {
        String bundle = url.caCertificate()
                .orElseThrow(() ->
                        new IllegalStateException("sslmode=" + url.sslMode().libpqName() + " needs DATABASE_CA_CERT"));
        // Only this bundle, not the JVM's public roots: the RDS bundle and a Cloud SQL instance CA are private CAs.
        return new PemTrustOptions().addCertValue(Buffer.buffer(bundle));
    }
}
