package ai.sentryagent.agentidp.cli;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code smoke --url URL}: the post-deploy checks as one command — health, readiness, metrics, JWKS, metadata, a
 * token round trip (with client credentials; the token is verified with Nimbus against the JWKS key its {@code kid}
 * names, RS256 or ES256) and TLS (version and certificate) — printed as a table, exit code 0 only when nothing
 * failed.
 */
@Command(name = "smoke", description = "Check a deployed AgentIdP: health, metrics, JWKS, a token, TLS.")
public final class SmokeCommand implements Callable<Integer> {
    @Option(names = "--url", required = true, description = "Base URL, e.g. https://idp.example.com")
    URI url;

    @Option(names = "--client-id", description = "Client for the token round trip (e.g. agentidp-admin).")
    String clientId;

    @Option(names = "--client-secret", description = "Its secret; default: $AGENTIDP_SMOKE_CLIENT_SECRET.")
    String clientSecret;

    @Option(
            names = "--timeout",
            description = "Per-request timeout in seconds (default: ${DEFAULT-VALUE}).",
            defaultValue = "10")
    int timeoutSeconds;

    /** One line of the report. */
    record Check(String name, String result, String detail) {}

    private final List<Check> checks = new ArrayList<>();
    private HttpClient http;

    @Override
    public Integer call() {
        if (clientSecret == null) {
            clientSecret = System.getenv("AGENTIDP_SMOKE_CLIENT_SECRET");
        }
        String base = url.toString().replaceAll("/+$", "");
        http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(timeoutSeconds))
                .build();

        check("health", () -> {
            HttpResponse<String> r = get(base + "/health");
            expect(
                    r.statusCode() == 200 && "ok".equals(new JsonObject(r.body()).getString("status")),
                    r.statusCode() + " " + r.body());
            return r.statusCode() + " " + r.body();
        });
        check("readiness", () -> {
            HttpResponse<String> r = get(base + "/health/ready");
            expect(r.statusCode() == 200, r.statusCode() + " " + r.body());
            return "200 postgres and redis up";
        });
        check("metrics", () -> {
            HttpResponse<String> r = get(base + "/metrics");
            expect(
                    r.statusCode() == 200
                            && r.body().contains("# HELP")
                            && r.body().contains("agentidp_"),
                    r.statusCode() + ", Prometheus text expected");
            return "200, "
                    + r.body().lines().filter(l -> l.startsWith("# TYPE")).count() + " metric families";
        });
        JWKSet[] keys = new JWKSet[1];
        check("jwks", () -> {
            HttpResponse<String> r = get(base + "/.well-known/jwks.json");
            expect(r.statusCode() == 200, "status " + r.statusCode());
            try {
                keys[0] = JWKSet.parse(r.body());
            } catch (ParseException e) {
                throw new IllegalStateException("not a JWK set (RFC 7517 §5): " + e.getMessage());
            }
            expect(!keys[0].getKeys().isEmpty(), "no keys");
            for (JWK key : keys[0].getKeys()) {
                expect(key.getKeyID() != null, "a " + key.getKeyType() + " key has no kid");
                expect(!key.isPrivate(), "key " + key.getKeyID() + " carries private key material");
            }
            return keys[0].getKeys().size() + " key(s), "
                    + keys[0].getKeys().stream()
                            .map(k -> (k.getAlgorithm() == null ? k.getKeyType() : k.getAlgorithm()) + " kid "
                                    + k.getKeyID())
                            .collect(Collectors.joining(", "));
        });
        String[] issuer = new String[1];
        check("metadata", () -> {
            HttpResponse<String> r = get(base + "/.well-known/oauth-authorization-server");
            expect(r.statusCode() == 200, "status " + r.statusCode());
            JsonObject metadata = new JsonObject(r.body());
            issuer[0] = metadata.getString("issuer");
            expect(
                    issuer[0] != null && metadata.getString("token_endpoint") != null,
                    "issuer or token_endpoint missing");
            return "issuer " + issuer[0];
        });
        if (clientId == null || clientSecret == null) {
            checks.add(new Check("token", "SKIP", "give --client-id and --client-secret for a token round trip"));
        } else {
            check("token", () -> tokenRoundTrip(base, keys[0], issuer[0]));
        }
        if (!"https".equalsIgnoreCase(url.getScheme())) {
            checks.add(new Check("tls", "SKIP", "not an https URL"));
        } else {
            check("tls", this::tls);
        }

        print();
        return checks.stream().anyMatch(c -> c.result().equals("FAIL")) ? 1 : 0;
    }

    private String tokenRoundTrip(String base, JWKSet keys, String issuer) throws Exception {
        String basic = Base64.getEncoder()
                .encodeToString((URLEncoder.encode(clientId, StandardCharsets.UTF_8) + ":"
                                + URLEncoder.encode(clientSecret, StandardCharsets.UTF_8))
                        .getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(base + "/api/v1/token"))
                        .timeout(Duration.ofSeconds(timeoutSeconds))
                        .header("Authorization", "Basic " + basic)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        expect(
                r.statusCode() == 200,
                "token request answered " + r.statusCode() + " " + new JsonObject(r.body()).getString("error", ""));
        String token = new JsonObject(r.body()).getString("access_token");
        expect(token != null, "the token response has no access_token");
        expect(keys != null, "no JWKS to verify against");
        JWSObject jws;
        try {
            jws = JWSObject.parse(token);
        } catch (ParseException e) {
            throw new IllegalStateException("the access token is not a compact JWS: " + e.getMessage());
        }
        JWSAlgorithm alg = jws.getHeader().getAlgorithm();
        String kid = jws.getHeader().getKeyID();
        expect(kid != null, "the token header has no kid");
        JWK jwk = keys.getKeyByKeyId(kid);
        expect(jwk != null, "the token's kid " + kid + " is not in the JWKS");
        expect(
                jwk.getAlgorithm() == null || jwk.getAlgorithm().equals(alg),
                "the token is signed " + alg + " but JWKS key " + kid + " is for " + jwk.getAlgorithm());
        JWSVerifier verifier;
        if (jwk instanceof RSAKey rsa && JWSAlgorithm.Family.RSA.contains(alg)) {
            verifier = new RSASSAVerifier(rsa);
        } else if (jwk instanceof ECKey ec && JWSAlgorithm.Family.EC.contains(alg)) {
            verifier = new ECDSAVerifier(ec);
        } else {
            throw new IllegalStateException("the token is signed " + alg + ", which JWKS key " + kid + " ("
                    + jwk.getKeyType() + ") cannot verify");
        }
        expect(jws.verify(verifier), alg + " signature does not verify against JWKS key " + kid);
        JsonObject claims = new JsonObject(jws.getPayload().toString());
        expect("at+jwt".equals(String.valueOf(jws.getHeader().getType())), "typ is not at+jwt");
        expect(issuer == null || issuer.equals(claims.getString("iss")), "iss differs from the metadata issuer");
        expect(claims.getLong("exp", 0L) > Instant.now().getEpochSecond(), "token already expired");
        return "200, " + alg + " signature verified against the JWKS, expires in "
                + (claims.getLong("exp") - Instant.now().getEpochSecond()) + " s";
    }

    private String tls() throws Exception {
        int port = url.getPort() == -1 ? 443 : url.getPort();
        SSLContext context = SSLContext.getDefault();
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(url.getHost(), port)) {
            socket.setSoTimeout(timeoutSeconds * 1000);
            var parameters = socket.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            String protocol = socket.getSession().getProtocol();
            X509Certificate certificate = (X509Certificate) socket.getSession().getPeerCertificates()[0];
            expect(protocol.equals("TLSv1.2") || protocol.equals("TLSv1.3"), "negotiated " + protocol);
            long days = Duration.between(
                            Instant.now(), certificate.getNotAfter().toInstant())
                    .toDays();
            expect(days >= 7, "certificate expires in " + days + " days");
            return protocol + ", certificate for "
                    + certificate.getSubjectX500Principal().getName() + " valid " + days + " more days";
        }
    }

    private HttpResponse<String> get(String target) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(target))
                        .timeout(Duration.ofSeconds(timeoutSeconds))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private interface Probe {
        String run() throws Exception;
    }

    private void check(String name, Probe probe) {
        try {
            checks.add(new Check(name, "PASS", probe.run()));
        } catch (Exception e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            checks.add(new Check(name, "FAIL", message.replaceAll("\\s+", " ")));
        }
    }

    private static void expect(boolean condition, String failure) {
        if (!condition) {
            throw new IllegalStateException(failure);
        }
    }

    private void print() {
        System.out.printf("%-10s %-6s %s%n", "CHECK", "RESULT", "DETAIL");
        for (Check check : checks) {
            String detail = check.detail().length() > 120 ? check.detail().substring(0, 117) + "..." : check.detail();
            System.out.printf("%-10s %-6s %s%n", check.name(), check.result(), detail);
        }
        long failed = checks.stream().filter(c -> c.result().equals("FAIL")).count();
        System.out.println(failed == 0 ? "smoke: all checks passed" : "smoke: " + failed + " check(s) failed");
    }
}
