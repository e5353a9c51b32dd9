package ai.sentryagent.agentidp.bench;

import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;

/**
 * Checks tokens sampled under load against the issuer's published JWKS with an independent JOSE library: known
 * {@code kid}, valid signature, the expected issuer, not expired. Prints {@code checked valid} and exits 1 if any
 * token fails. Usage: {@code VerifyTokens <jwks-url> <issuer> <file with one token per line>...}
 */
public final class VerifyTokens {
    private VerifyTokens() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: VerifyTokens <jwks-url> <issuer> <token-file>...");
            System.exit(2);
        }
        JWKSet jwks = JWKSet.load(new URL(args[0]));
        String issuer = args[1];
        int checked = 0;
        int valid = 0;
        for (int i = 2; i < args.length; i++) {
            for (String line : Files.readAllLines(Path.of(args[i]))) {
                if (line.isBlank()) {
                    continue;
                }
                checked++;
                if (valid(jwks, issuer, line.strip())) {
                    valid++;
                } else if (checked - valid <= 3) {
                    System.err.println("invalid token: " + line.strip());
                }
            }
        }
        System.out.println(checked + " " + valid);
        System.exit(checked > 0 && checked == valid ? 0 : 1);
    }

    private static boolean valid(JWKSet jwks, String issuer, String token) {
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            JWK key = jwks.getKeyByKeyId(jwt.getHeader().getKeyID());
            if (key == null) {
                return false;
            }
            JWSVerifier verifier = key instanceof RSAKey rsa ? new RSASSAVerifier(rsa) : new ECDSAVerifier((ECKey) key);
            var claims = jwt.getJWTClaimsSet();
            return jwt.verify(verifier)
                    && List.of(issuer).contains(claims.getIssuer())
                    && claims.getExpirationTime() != null
                    && claims.getExpirationTime().after(new Date());
        } catch (Exception e) {
            return false;
        }
    }
}
