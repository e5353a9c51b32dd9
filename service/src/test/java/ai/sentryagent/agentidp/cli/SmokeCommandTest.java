package ai.sentryagent.agentidp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.crypto.SigningKeys;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code smoke}'s token check against a stand-in deployment whose JWKS and token disagree, as a misconfigured
 * rotation or a token minted elsewhere would: a JWS is verified with the key its {@code kid} names (RFC 7515 §4.1.4)
 * and that key only, and each way of failing says which it is.
 */
class SmokeCommandTest {
    private static final KeyPair SIGNING = SigningKeys.generateP256();
    private static final KeyPair OTHER = SigningKeys.generateP256();
    private static final KeyPair RSA = SigningKeys.generate(2048);

    @Test
    void aTokenWhoseKidIsNotInTheJwksFails() throws Exception {
        String token = token(SIGNING, "not-published");
        assertThat(smoke(jwks(SIGNING), token))
                .anyMatch(l -> l.matches("token\\s+FAIL\\s+the token's kid not-published is not in the JWKS"));
    }

    @Test
    void aTokenSignedByAnotherKeyUnderAPublishedKidFails() throws Exception {
        String kid = SigningKeys.thumbprint(SIGNING.getPublic());
        assertThat(smoke(jwks(SIGNING), token(OTHER, kid)))
                .anyMatch(l -> l.matches("token\\s+FAIL\\s+ES256 signature does not verify against JWKS key " + kid));
    }

    @Test
    void aKeyOfTheWrongTypeForTheAlgorithmFails() throws Exception {
        String kid = SigningKeys.thumbprint(RSA.getPublic());
        assertThat(smoke(jwks(RSA), token(SIGNING, kid)))
                .anyMatch(l ->
                        l.matches("token\\s+FAIL\\s+the token is signed ES256 but JWKS key " + kid + " is for RS256"));
    }

    @Test
    void theRightKeyPasses() throws Exception {
        assertThat(smoke(jwks(RSA, SIGNING), token(SIGNING, SigningKeys.thumbprint(SIGNING.getPublic()))))
                .anyMatch(l -> l.matches("token\\s+PASS\\s+200, ES256 signature verified against the JWKS.*"));
    }

    private static String jwks(KeyPair... pairs) {
        return new JWKSet(List.of(pairs).stream()
                        .map(pair ->
                                SigningKeys.VerificationKey.of(pair.getPublic()).jwk())
                        .toList())
                .toString(true);
    }

    private static String token(KeyPair pair, String kid) throws Exception {
        JWSSigner signer = new ECDSASigner((ECPrivateKey) pair.getPrivate());
        JWSObject jws = new JWSObject(
                new JWSHeader.Builder(JWSAlgorithm.ES256)
                        .type(new JOSEObjectType("at+jwt"))
                        .keyID(kid)
                        .build(),
                new Payload(
                        Map.of("iss", "http://idp.test", "exp", Instant.now().getEpochSecond() + 600)));
        jws.sign(signer);
        return jws.serialize();
    }

    /** Runs smoke against a stand-in that answers every check and hands out {@code token}; returns the table. */
    private static List<String> smoke(String jwks, String token) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        Map<String, String> bodies = Map.of(
                "/health", "{\"status\":\"ok\"}",
                "/health/ready", "{}",
                "/metrics", "# HELP agentidp_up up\n# TYPE agentidp_up gauge\nagentidp_up 1\n",
                "/.well-known/jwks.json", jwks,
                "/.well-known/oauth-authorization-server",
                        "{\"issuer\":\"http://idp.test\",\"token_endpoint\":\"http://idp.test/api/v1/token\"}",
                "/api/v1/token", new JsonObject().put("access_token", token).encode());
        bodies.forEach((path, body) -> server.createContext(path, exchange -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        }));
        server.start();
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            new CommandLine(new SmokeCommand())
                    .execute(
                            "--url",
                            "http://127.0.0.1:" + server.getAddress().getPort(),
                            "--client-id",
                            "agent",
                            "--client-secret",
                            "secret");
        } finally {
            System.setOut(stdout);
            server.stop(0);
        }
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
