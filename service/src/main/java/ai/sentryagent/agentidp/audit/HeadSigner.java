package ai.sentryagent.agentidp.audit;

import ai.sentryagent.agentidp.crypto.JwsSigner;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Signs chain heads as a compact JWS ({@code typ: audit-head+jwt}) with the token signing key, so anyone holding the
 * JWKS can check a head that was copied out of the service (the log stream, an auditor) and compare it with the
 * database later: a rewritten or truncated trail no longer contains the signed head (F-12).
 */
public final class HeadSigner {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final JwsSigner signer;
    private final String issuer;
    private final Clock clock;
    private final String encodedHeader;

    public HeadSigner(JwsSigner signer, String kid, String issuer, Clock clock) {
        this.signer = signer;
        this.issuer = issuer;
        this.clock = clock;
        JsonObject header = new JsonObject()
                .put("alg", signer.algorithm().name())
                .put("typ", "audit-head+jwt")
                .put("kid", kid);
        this.encodedHeader = B64.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8));
    }

    Audit.SignedHead sign(Audit.Head head) {
        Instant now = clock.instant();
        JsonObject claims = new JsonObject()
                .put("iss", issuer)
                .put("iat", now.getEpochSecond())
                .put("seq", head.sequence())
                .put("hash", HexFormat.of().formatHex(head.hash()))
                .put("eventId", head.eventId().map(Object::toString).orElse(null));
        String signingInput =
                encodedHeader + "." + B64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
        String signature = B64.encodeToString(signer.sign(signingInput.getBytes(StandardCharsets.US_ASCII)));
        return new Audit.SignedHead(head, now, signingInput + "." + signature);
    }
}
