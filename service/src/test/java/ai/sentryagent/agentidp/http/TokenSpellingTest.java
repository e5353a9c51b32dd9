package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.crypto.Pem;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * F-20 (token parts): a token has exactly one spelling, and only the header this service writes. Each case sends a
 * real token re-spelled, or a token signed with the service's real key but carrying what the service never writes,
 * to the management API and to introspection. Before the fix each was accepted as a second spelling of a valid token.
 */
@IntegrationTest
class TokenSpellingTest {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64_DECODE = Base64.getUrlDecoder();
    private static final String KID =
            SigningKeys.VerificationKey.of(RunningIdp.keys().getPublic()).kid();

    private static RunningIdp idp;
    private static String agentId;
    private static String secret;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start();
        agentId = idp.createAgent("respelled", "weather:read").getString("agentId");
        secret = idp.createCredential(agentId).getString("clientSecret");
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    /** The agent reading itself, which the policy allows with no scope: 200 for a good token, 401 otherwise. */
    private static int bearer(RunningIdp on, String path, String token) throws Exception {
        return on.call("GET", path, token, null).statusCode();
    }

    private static boolean active(RunningIdp on, String token) throws Exception {
        HttpResponse<String> response = on.postForm(
                "/api/v1/token/introspect",
                "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8),
                RunningIdp.ADMIN_CLIENT_ID,
                RunningIdp.ADMIN_SECRET);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body()).getBoolean("active");
    }

    private static void assertRefused(String token) throws Exception {
        assertThat(bearer(idp, "/api/v1/agents/" + agentId, token)).as(token).isEqualTo(401);
        assertThat(active(idp, token)).as(token).isFalse();
    }

    private static String[] parts(String token) {
        return token.split("\\.");
    }

    private static JsonObject claims(String token) {
        return new JsonObject(new String(B64_DECODE.decode(parts(token)[1]), StandardCharsets.UTF_8));
    }

    /** A JWS over exactly these header and payload bytes, signed with the service's own RS256 key. */
    private static String signed(String header, String payload) throws Exception {
        String input = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(RunningIdp.keys().getPrivate());
        rsa.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + B64.encodeToString(rsa.sign());
    }

    private static String header() {
        return new JsonObject()
                .put("alg", "RS256")
                .put("typ", "at+jwt")
                .put("kid", KID)
                .encode();
    }

    @Test
    void theSignatureSegmentHasOneSpelling() throws Exception {
        String token = idp.token(agentId, secret, null);
        assertThat(bearer(idp, "/api/v1/agents/" + agentId, token)).isEqualTo(200);
        String signature = parts(token)[2]; // 256 bytes: 342 characters, the last carrying 4 unused bits
        char last = signature.charAt(signature.length() - 1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char sameBytes = alphabet.charAt(alphabet.indexOf(last) ^ 1); // flips an unused bit
        String prefix = parts(token)[0] + "." + parts(token)[1] + ".";
        for (String respelled : new String[] {
            prefix + signature + "==", // RFC 7515 §2: base64url without padding
            prefix + signature.substring(0, signature.length() - 1) + sameBytes, // non-canonical trailing bits
            prefix + signature.replace('-', '+').replace('_', '/'), // the standard alphabet, if it differs
        }) {
            if (!respelled.equals(token)) {
                assertRefused(respelled);
            }
        }
        assertThat(Arrays.equals(
                        B64_DECODE.decode(signature),
                        B64_DECODE.decode(signature.substring(0, signature.length() - 1) + sameBytes)))
                .as("the trailing-bit variant decodes to the same signature")
                .isTrue();
    }

    @Test
    void aRevokedTokenStaysRevokedUnderAnySpelling() throws Exception {
        String token = idp.token(agentId, secret, null);
        HttpResponse<String> revoked = idp.postForm(
                "/api/v1/token/revoke", "token=" + token, RunningIdp.ADMIN_CLIENT_ID, RunningIdp.ADMIN_SECRET);
        assertThat(revoked.statusCode()).isEqualTo(200);
        assertRefused(token);
        assertRefused(token + "==");
        assertRefused(parts(token)[0] + "==." + parts(token)[1] + "." + parts(token)[2]);
    }

    @Test
    void aHeaderWithCritOrAnythingElseTheServiceDoesNotWriteIsRefusedEvenWithAValidSignature() throws Exception {
        String payload = claims(idp.token(agentId, secret, null)).encode();
        // The control: the same payload under the exact header, signed with the same key, is a good token.
        assertThat(bearer(idp, "/api/v1/agents/" + agentId, signed(header(), payload)))
                .isEqualTo(200);
        JsonObject exact = new JsonObject(header());
        for (String header : new String[] {
            exact.copy()
                    .put("crit", new io.vertx.core.json.JsonArray().add("exp"))
                    .encode(), // RFC 7515 §4.1.11
            exact.copy()
                    .put("crit", new io.vertx.core.json.JsonArray().add("urn:x-bound"))
                    .put("urn:x-bound", "x")
                    .encode(),
            exact.copy().put("jku", "https://attacker.example/jwks.json").encode(),
            header().replace(",", ", "), // whitespace
            header().replace("\"typ\":\"at+jwt\"", "\"typ\":\"at+jwt\",\"typ\":\"at+jwt\""), // duplicate member
            header().replace("RS256", "RS\\u0032\\u0035\\u0036"), // escapes
        }) {
            assertRefused(signed(header, payload));
        }
    }

    @Test
    void aPayloadThatIsNotTheCanonicalEncodingOfItsClaimsIsRefused() throws Exception {
        JsonObject claims = claims(idp.token(agentId, secret, null));
        String compact = claims.encode();
        for (String payload : new String[] {
            claims.encodePrettily(),
            compact.replace("\"scope\":\"weather:read\"", "\"scope\":\"weather:read\",\"scope\":\"weather:read\""),
            compact.replace("weather:read", "weather\\u003aread"),
            compact + " ",
        }) {
            assertThat(payload).isNotEqualTo(compact);
            assertRefused(signed(header(), payload));
        }
    }

    @Test
    void nbfIsHonoured() throws Exception {
        JsonObject claims = claims(idp.token(agentId, secret, null));
        long now = System.currentTimeMillis() / 1000;
        // RFC 7519 §4.1.5: not before nbf, give or take a small leeway (30 s).
        assertRefused(signed(header(), claims.copy().put("nbf", now + 3600).encode()));
        assertRefused(signed(header(), claims.copy().put("nbf", now + 60).encode()));
        assertRefused(signed(header(), claims.copy().put("nbf", "0").encode()));
        assertThat(bearer(
                        idp,
                        "/api/v1/agents/" + agentId,
                        signed(header(), claims.copy().put("nbf", now - 5).encode())))
                .isEqualTo(200);
    }

    @Test
    void es256SignaturesAreLowSAndTheirHighSTwinIsRefused() throws Exception {
        KeyPair pair = SigningKeys.generateP256();
        BigInteger order = ((ECPublicKey) pair.getPublic()).getParams().getOrder();
        try (RunningIdp es = RunningIdp.start(Map.of(
                "JWT_PRIVATE_KEY", Pem.escape(Pem.encodePrivate(pair.getPrivate())),
                "JWT_PUBLIC_KEY", Pem.encodePublic(pair.getPublic())))) {
            for (int i = 0; i < 20; i++) {
                String token = es.adminToken();
                byte[] signature = B64_DECODE.decode(parts(token)[2]);
                assertThat(signature).hasSize(64);
                BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature, 32, 64));
                assertThat(s).as("S ≤ n/2").isLessThanOrEqualTo(order.shiftRight(1));
                assertThat(bearer(es, "/api/v1/agents", token)).isEqualTo(200);

                // (R, n − S) verifies under plain ECDSA too: the same token spelled a second way.
                byte[] twin = Arrays.copyOf(signature, 64);
                byte[] highS = order.subtract(s).toByteArray();
                byte[] fixed = new byte[32];
                System.arraycopy(
                        highS,
                        Math.max(0, highS.length - 32),
                        fixed,
                        Math.max(0, 32 - highS.length),
                        Math.min(32, highS.length));
                System.arraycopy(fixed, 0, twin, 32, 32);
                Signature plain = Signature.getInstance("SHA256withECDSAinP1363Format");
                plain.initVerify(pair.getPublic());
                plain.update((parts(token)[0] + "." + parts(token)[1]).getBytes(StandardCharsets.US_ASCII));
                assertThat(plain.verify(twin)).isTrue();
                String respelled = parts(token)[0] + "." + parts(token)[1] + "." + B64.encodeToString(twin);
                assertThat(bearer(es, "/api/v1/agents", respelled)).isEqualTo(401);
                assertThat(active(es, respelled)).isFalse();
                // Padding a 64-byte signature (86 characters) is one more spelling.
                assertThat(bearer(es, "/api/v1/agents", token + "==")).isEqualTo(401);
            }
        }
    }
}
