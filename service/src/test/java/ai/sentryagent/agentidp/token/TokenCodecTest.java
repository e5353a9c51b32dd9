package ai.sentryagent.agentidp.token;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.crypto.JwsSigner;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tokens as an outside verifier that trusts nothing of ours sees them: the JDK's own {@link Signature} — not Nimbus,
 * which signs them, so verifying with it would not be independent — checks the signature over the compact form's
 * first two segments (RFC 7515 §5.2), with R‖S for ES256 (RFC 7518 §3.4); the header is what RFC 9068 §2.1 asks
 * for, and the kid names the key.
 */
class TokenCodecTest {
    private static final Base64.Decoder B64 = Base64.getUrlDecoder();

    static Stream<KeyPair> keyPairs() {
        return Stream.of(SigningKeys.generate(2048), SigningKeys.generateP256());
    }

    @ParameterizedTest
    @MethodSource("keyPairs")
    void aSignedTokenVerifiesWithThePlainJdk(KeyPair pair) throws Exception {
        SigningKeys keys = SigningKeys.of(pair.getPrivate(), pair.getPublic(), List.of());
        TokenCodec codec = new TokenCodec(
                keys,
                JwsSigner.create(keys),
                "https://idp.example.com",
                "https://api.example.com",
                Duration.ofMinutes(5),
                Clock.tickSeconds(ZoneOffset.UTC));
        AccessToken claims =
                codec.newToken("agent-1", "client-1", List.of("weather:read"), Optional.empty(), List.of());
        String token = codec.sign(claims);

        String[] parts = token.split("\\.", -1);
        assertThat(parts).hasSize(3);
        JsonObject header = new JsonObject(new String(B64.decode(parts[0]), StandardCharsets.UTF_8));
        assertThat(header.fieldNames()).containsExactlyInAnyOrder("alg", "typ", "kid");
        assertThat(header.getString("typ")).isEqualTo("at+jwt");
        assertThat(header.getString("kid")).isEqualTo(keys.current().kid());
        boolean es256 = header.getString("alg").equals("ES256");
        assertThat(header.getString("alg"))
                .isEqualTo(pair.getPublic().getAlgorithm().equals("EC") ? "ES256" : "RS256");

        Signature jdk = Signature.getInstance(es256 ? "SHA256withECDSAinP1363Format" : "SHA256withRSA");
        jdk.initVerify(pair.getPublic());
        jdk.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertThat(jdk.verify(B64.decode(parts[2]))).isTrue();

        JsonObject payload = new JsonObject(new String(B64.decode(parts[1]), StandardCharsets.UTF_8));
        assertThat(payload.getString("iss")).isEqualTo("https://idp.example.com");
        assertThat(payload.getString("aud")).isEqualTo("https://api.example.com");
        assertThat(payload.getString("sub")).isEqualTo("agent-1");
        assertThat(payload.getLong("exp") - payload.getLong("iat")).isEqualTo(300);
        assertThat(codec.verify(token)).contains(claims);
        // One flipped signature bit is no token (RFC 7515 §5.2 step 8).
        String tampered =
                parts[0] + "." + parts[1] + "." + (parts[2].charAt(0) == 'A' ? "B" : "A") + parts[2].substring(1);
        assertThat(codec.verify(tampered)).isEmpty();
    }

    /**
     * A token from a token exchange carries RFC 8693 §4.1's nested {@code act} and the private chain claim; both
     * read back as written. This issuer always writes both, so a token with only one of them, or an {@code act}
     * level without a string {@code sub}, is no token of this issuer — even correctly signed.
     */
    @org.junit.jupiter.api.Test
    void aDelegatedTokenReadsBackItsChainAndAHalfWrittenChainIsRefused() {
        KeyPair pair = SigningKeys.generateP256();
        SigningKeys keys = SigningKeys.of(pair.getPrivate(), pair.getPublic(), List.of());
        TokenCodec codec = new TokenCodec(
                keys,
                JwsSigner.create(keys),
                "https://idp.example.com",
                "https://api.example.com",
                Duration.ofMinutes(5),
                Clock.tickSeconds(ZoneOffset.UTC));
        JsonObject act = new JsonObject().put("sub", "tool").put("act", new JsonObject().put("sub", "worker"));
        AccessToken.Delegation chain = new AccessToken.Delegation(
                act, List.of("jti-1", "jti-0"), List.of("d-0", "d-1"), 3, List.of("https://tool.example/mcp"));
        AccessToken claims = codec.newDelegatedToken(
                "planner",
                "tool",
                List.of("weather:read"),
                Optional.empty(),
                List.of(),
                java.time.Instant.now().plusSeconds(60),
                chain);
        AccessToken read = codec.verifyIssued(codec.sign(claims)).orElseThrow();
        assertThat(read.delegation()).isPresent();
        assertThat(read.delegation().get().actors()).containsExactly("tool", "worker");
        assertThat(read.delegation().get().act()).isEqualTo(act);
        assertThat(read.revocationKeys()).containsExactly(claims.jti(), "jti-1", "jti-0", "d:d-0", "d:d-1");
        assertThat(read.toIntrospection().getJsonObject("act")).isEqualTo(act);
        assertThat(read.delegation().get().resources()).containsExactly("https://tool.example/mcp");

        for (java.util.function.Consumer<JsonObject> edit : List.<java.util.function.Consumer<JsonObject>>of(
                c -> c.remove(AccessToken.DELEGATION_CLAIM),
                c -> c.remove("act"),
                c -> c.put("act", new JsonObject().put("sub", 7)),
                c -> c.put("act", new JsonObject().put("sub", "tool").put("act", "worker")),
                c -> c.getJsonObject(AccessToken.DELEGATION_CLAIM).put("jti", new io.vertx.core.json.JsonArray()),
                // Without the chain's resources a later hop could not keep within them.
                c -> c.getJsonObject(AccessToken.DELEGATION_CLAIM).remove("res"),
                c -> c.getJsonObject(AccessToken.DELEGATION_CLAIM).put("res", "https://tool.example/mcp"))) {
            JsonObject tampered = claims.toClaims();
            edit.accept(tampered);
            assertThat(codec.verifyIssued(signed(codec, keys, tampered))).isEmpty();
        }
    }

    /** Signs arbitrary claims with the codec's own header and key, as only this issuer could. */
    private static String signed(TokenCodec codec, SigningKeys keys, JsonObject claims) {
        String header = codec.sign(codec.newToken("x", "x", List.of(), Optional.empty(), List.of()))
                .split("\\.")[0];
        String payload = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
        try {
            com.nimbusds.jose.JWSObject jws = new com.nimbusds.jose.JWSObject(
                    com.nimbusds.jose.JWSHeader.parse(new com.nimbusds.jose.util.Base64URL(header)),
                    new com.nimbusds.jose.Payload(new com.nimbusds.jose.util.Base64URL(payload)));
            jws.sign(JwsSigner.create(keys));
            return jws.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
