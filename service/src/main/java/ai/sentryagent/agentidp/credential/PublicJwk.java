package ai.sentryagent.agentidp.credential;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.text.ParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A client's public JWK (RFC 7517) checked for {@code private_key_jwt}: parsed by Nimbus, never by hand. Only what
 * the token endpoint accepts gets in — RSA of 2048 bits or more (RS256, PS256) and EC on P-256 (ES256) — and never
 * a private member or a symmetric key: a private key sent to a server is a leaked key, and an {@code oct} key would
 * let anyone who can read it forge assertions.
 */
public record PublicJwk(JWK jwk, String kid, String alg) {
    /** What {@code private_key_jwt} accepts (issue 16 §1: asymmetric only; {@code none} and HS* never). */
    public static final List<String> ALGORITHMS = List.of("RS256", "PS256", "ES256");

    static final int MIN_RSA_BITS = 2048;
    /** JWK members that carry private key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
    private static final Set<String> PRIVATE_MEMBERS = Set.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");

    /** A JWK that cannot be registered; the message names the problem and is safe to show to the caller. */
    public static final class Rejected extends RuntimeException {
        public Rejected(String message) {
            super(message, null, false, false);
        }
    }

    /** Checks a JWK sent to the keys API; throws {@link Rejected} with the problem. */
    public static PublicJwk of(Map<String, Object> members) {
        Object kty = members.get("kty");
        if (!(kty instanceof String)) {
            throw new Rejected("jwk.kty is required (RSA or EC)");
        }
        if ("oct".equals(kty)) {
            throw new Rejected("jwk is a symmetric key (kty oct); register a public RSA or EC key");
        }
        List<String> secret =
                PRIVATE_MEMBERS.stream().filter(members::containsKey).sorted().toList();
        if (!secret.isEmpty()) {
            throw new Rejected("jwk contains private key members (" + String.join(", ", secret)
                    + "); register the public key only");
        }
        JWK jwk;
        try {
            jwk = JWK.parse(members);
        } catch (ParseException e) {
            throw new Rejected("jwk is not a valid JWK: " + ascii(e.getMessage()));
        }
        if (jwk.isPrivate()) {
            throw new Rejected("jwk contains private key material; register the public key only");
        }
        if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
            throw new Rejected("jwk.use must be sig");
        }
        String alg = algorithm(jwk);
        try {
            String kid = jwk.getKeyID() != null
                    ? jwk.getKeyID()
                    : jwk.computeThumbprint().toString(); // RFC 7638, SHA-256
            if (kid.isEmpty() || kid.length() > 128 || kid.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
                throw new Rejected("jwk.kid must be 1 to 128 printable ASCII characters without spaces");
            }
            return new PublicJwk(jwk.toPublicJWK(), kid, alg);
        } catch (JOSEException e) {
            throw new Rejected("jwk thumbprint cannot be computed");
        }
    }

    /** A stored JWK, as the client directory reads it back. */
    public static JWK stored(String json) {
        try {
            return JWK.parse(json);
        } catch (ParseException e) {
            throw new IllegalStateException("a stored agent key is not a JWK", e);
        }
    }

    /** The JWK's algorithm, or the one it is shown with when it names none (RSA: RS256, also usable for PS256). */
    private static String algorithm(JWK jwk) {
        KeyType type = jwk.getKeyType();
        String declared = jwk.getAlgorithm() == null ? null : jwk.getAlgorithm().getName();
        if (KeyType.RSA.equals(type)) {
            int bits = ((RSAKey) jwk).size();
            if (bits < MIN_RSA_BITS) {
                throw new Rejected(
                        "jwk is an RSA key of " + bits + " bits; at least " + MIN_RSA_BITS + " are required");
            }
            if (declared != null && !declared.equals("RS256") && !declared.equals("PS256")) {
                throw new Rejected("jwk.alg " + ascii(declared) + " is not accepted for RSA keys (RS256 or PS256)");
            }
            return declared == null ? JWSAlgorithm.RS256.getName() : declared;
        }
        if (KeyType.EC.equals(type)) {
            if (!Curve.P_256.equals(((ECKey) jwk).getCurve())) {
                throw new Rejected("jwk.crv must be P-256 (ES256)");
            }
            if (declared != null && !declared.equals("ES256")) {
                throw new Rejected("jwk.alg " + ascii(declared) + " is not accepted for P-256 keys (ES256)");
            }
            return JWSAlgorithm.ES256.getName();
        }
        throw new Rejected("jwk.kty " + ascii(type.getValue()) + " is not accepted (RSA or EC)");
    }

    private static String ascii(String text) {
        String value = text == null ? "" : text.replaceAll("[^\\x20-\\x7e]", "?");
        return value.length() > 80 ? value.substring(0, 80) : value;
    }
}
