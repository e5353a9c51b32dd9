package ai.sentryagent.agentidp.token;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.credential.ClientRecord;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The time limits and key restrictions of {@link ClientAssertions} at their edges, on a fixed clock: issue 16 §1
 * (exp at most 10 minutes ahead, 60 s of skew on iat/nbf) and RFC 7517 §4.4 (a JWK's {@code alg} restricts the
 * algorithm the key may be used with).
 */
class ClientAssertionsTest {
    private static final String ISSUER = "https://idp.example";
    private static final Instant NOW = Instant.parse("2026-12-02T06:00:00Z");
    private static final ClientAssertions ASSERTIONS = new ClientAssertions(ISSUER, Clock.fixed(NOW, ZoneOffset.UTC));
    private static RSAKey key;
    private static ClientRecord client;

    @BeforeAll
    static void keys() throws Exception {
        key = new RSAKeyGenerator(2048)
                .keyID("k")
                .algorithm(JWSAlgorithm.RS256)
                .keyUse(KeyUse.SIGNATURE)
                .generate();
        UUID agent = UUID.randomUUID();
        client = new ClientRecord(
                agent,
                agent.toString(),
                AgentStatus.ACTIVE,
                List.of(),
                List.of(),
                Optional.empty(),
                List.of(),
                List.of(new ClientRecord.StoredKey("k", key.toPublicJWK())));
    }

    private static ClientAssertions.Checked check(JWSAlgorithm alg, Consumer<JWTClaimsSet.Builder> edit)
            throws Exception {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(client.clientId())
                .subject(client.clientId())
                .audience(ISSUER)
                .expirationTime(Date.from(NOW.plusSeconds(60)))
                .jwtID("j");
        edit.accept(claims);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID("k").build(), claims.build());
        jwt.sign(new RSASSASigner(key));
        return ASSERTIONS.check(
                new ClientCredential.Assertion(client.clientId(), jwt.serialize(), Optional.empty()), client);
    }

    @Test
    void expMayBeTenMinutesAheadButNotMore() throws Exception {
        assertThat(check(JWSAlgorithm.RS256, c -> c.expirationTime(Date.from(NOW.plusSeconds(600)))))
                .isInstanceOf(ClientAssertions.Valid.class);
        // beyond 10 minutes and the 60 s of skew
        assertThat(check(JWSAlgorithm.RS256, c -> c.expirationTime(Date.from(NOW.plusSeconds(661)))))
                .isEqualTo(new ClientAssertions.Invalid("exp_too_far_ahead"));
    }

    @Test
    void iatAndNbfGetSixtySecondsOfSkewAndNoMore() throws Exception {
        assertThat(check(
                        JWSAlgorithm.RS256,
                        c -> c.issueTime(Date.from(NOW.plusSeconds(30))).notBeforeTime(Date.from(NOW.plusSeconds(30)))))
                .isInstanceOf(ClientAssertions.Valid.class);
        assertThat(check(JWSAlgorithm.RS256, c -> c.issueTime(Date.from(NOW.plusSeconds(90)))))
                .isEqualTo(new ClientAssertions.Invalid("iat_in_future"));
        assertThat(check(JWSAlgorithm.RS256, c -> c.notBeforeTime(Date.from(NOW.plusSeconds(90)))))
                .isEqualTo(new ClientAssertions.Invalid("nbf_in_future"));
    }

    @Test
    void theJtiIsKeptUntilTheAssertionCanNoLongerBeAccepted() throws Exception {
        // accepted until exp plus the skew, so the replay record must last as long
        assertThat(check(JWSAlgorithm.RS256, c -> {})).isEqualTo(new ClientAssertions.Valid("j", NOW.plusSeconds(120)));
        assertThat(check(JWSAlgorithm.RS256, c -> c.expirationTime(Date.from(NOW.minusSeconds(61)))))
                .isEqualTo(new ClientAssertions.Invalid("expired"));
    }

    @Test
    void aKeyDeclaredForRs256DoesNotVerifyPs256() throws Exception {
        assertThat(check(JWSAlgorithm.PS256, c -> {})).isInstanceOf(ClientAssertions.Invalid.class);
    }
}
