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
}
