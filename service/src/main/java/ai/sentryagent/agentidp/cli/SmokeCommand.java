package ai.sentryagent.agentidp.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code smoke --url URL}: the post-deploy checks as one command — health, readiness, metrics, JWKS, metadata, a
 * token round trip (with client credentials) and TLS (version and certificate) — printed as a table, exit code 0
 * only when nothing failed.
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
        JsonArray[] keys = new JsonArray[1];
        check("jwks", () -> {
            HttpResponse<String> r = get(base + "/.well-known/jwks.json");
            expect(r.statusCode() == 200, "status " + r.statusCode());
            keys[0] = new JsonObject(r.body()).getJsonArray("keys");
            expect(keys[0] != null && !keys[0].isEmpty(), "no keys");
            JsonObject first = keys[0].getJsonObject(0);
            expect(
                    "RSA".equals(first.getString("kty")) && first.getString("kid") != null && !first.containsKey("d"),
                    "first key is not a public RSA key with a kid");
            return keys[0].size() + " key(s), kid " + first.getString("kid");
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

    private String tokenRoundTrip(String base, JsonArray keys, String issuer) throws Exception {
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
        String[] parts = token.split("\\.");
        JsonObject header = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8));
        JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
        expect(keys != null, "no JWKS to verify against");
        JsonObject jwk = keys.stream()
                .map(JsonObject.class::cast)
                .filter(k -> k.getString("kid").equals(header.getString("kid")))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("the token's kid is not in the JWKS"));
        RSAPublicKey key = (RSAPublicKey) KeyFactory.getInstance("RSA")
                .generatePublic(new RSAPublicKeySpec(
                        new BigInteger(1, Base64.getUrlDecoder().decode(jwk.getString("n"))),
                        new BigInteger(1, Base64.getUrlDecoder().decode(jwk.getString("e")))));
        Signature verifier = Signature.getInstance("SHA256withRSA");
        verifier.initVerify(key);
        verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        expect(verifier.verify(Base64.getUrlDecoder().decode(parts[2])), "signature does not verify against the JWKS");
        expect("at+jwt".equals(header.getString("typ")), "typ is not at+jwt");
        expect(issuer == null || issuer.equals(claims.getString("iss")), "iss differs from the metadata issuer");
        expect(claims.getLong("exp", 0L) > Instant.now().getEpochSecond(), "token already expired");
        return "200, RS256 signature verified against the JWKS, expires in "
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
