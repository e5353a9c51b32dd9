package ai.sentryagent.agentidp.crypto;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;

/**
 * The signing key and the public keys tokens are verified with: the current one and any still-valid previous ones
 * (key rotation, also from one algorithm to the other). The private key's type decides the algorithm: RSA signs
 * RS256, EC P-256 signs ES256. Each public key is named by its RFC 7638 JWK thumbprint, which Nimbus computes.
 */
public record SigningKeys(
        PrivateKey privateKey, JwsAlgorithm algorithm, VerificationKey current, List<VerificationKey> previous) {

    public static final int MIN_RSA_BITS = 2048;

    /** A public key with its {@code kid}, the algorithm it verifies and its JWK (RFC 7517) for the JWKS. */
    public record VerificationKey(String kid, JwsAlgorithm algorithm, PublicKey key, JWK jwk) {
        public static VerificationKey of(PublicKey key) {
            JwsAlgorithm algorithm = JwsAlgorithm.of(key);
            JWK jwk;
            try {
                jwk = switch (algorithm) {
                    case RS256 ->
                        new RSAKey.Builder((RSAPublicKey) key)
                                .keyUse(KeyUse.SIGNATURE)
                                .algorithm(algorithm.jose())
                                .keyIDFromThumbprint()
                                .build();
                    case ES256 ->
                        new ECKey.Builder(p256((ECPublicKey) key), (ECPublicKey) key)
                                .keyUse(KeyUse.SIGNATURE)
                                .algorithm(algorithm.jose())
                                .keyIDFromThumbprint()
                                .build();
                };
            } catch (JOSEException e) {
                throw new IllegalStateException("SHA-256 is not available for the RFC 7638 thumbprint", e);
            }
            return new VerificationKey(jwk.getKeyID(), algorithm, key, jwk);
        }

        /** A Nimbus verifier for this key; it refuses any {@code crit} header (RFC 7515 §4.1.11). */
        public JWSVerifier verifier() {
            try {
                return switch (algorithm) {
                    case RS256 -> new RSASSAVerifier((RSAPublicKey) key);
                    case ES256 -> new ECDSAVerifier((ECPublicKey) key);
                };
            } catch (JOSEException e) {
                throw new IllegalArgumentException("is not a usable " + algorithm + " key", e);
            }
        }
    }

    public SigningKeys {
        previous = List.copyOf(previous);
    }

    /** Builds the key set from PEM text; see {@link #of}. */
    public static SigningKeys fromPem(String privatePem, String publicPem, List<PublicKey> previousKeys) {
        return of(Pem.privateKey(privatePem), Pem.publicKey(publicPem), previousKeys);
    }

    /**
     * Builds the key set, checking that the private and public key are one pair of a supported type and size.
     * Messages name what is wrong, never the key.
     */
    public static SigningKeys of(PrivateKey privateKey, PublicKey publicKey, List<PublicKey> previousKeys) {
        JwsAlgorithm algorithm = JwsAlgorithm.of(privateKey);
        if (JwsAlgorithm.of(publicKey) != algorithm) {
            throw new IllegalArgumentException("is an " + publicKey.getAlgorithm() + " key but JWT_PRIVATE_KEY is an "
                    + privateKey.getAlgorithm() + " key");
        }
        if (publicKey instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            throw new IllegalArgumentException("is a " + rsa.getModulus().bitLength() + "-bit RSA key; at least "
                    + MIN_RSA_BITS + " bits are required");
        }
        VerificationKey current = VerificationKey.of(publicKey);
        if (!onePair(privateKey, current)) {
            throw new IllegalArgumentException("does not match JWT_PRIVATE_KEY (they are not one key pair)");
        }
        List<VerificationKey> previous = new ArrayList<>();
        for (PublicKey key : previousKeys) {
            VerificationKey verification = VerificationKey.of(key);
            if (!verification.kid().equals(current.kid())) {
                previous.add(verification);
            }
        }
        return new SigningKeys(privateKey, algorithm, current, previous);
    }

    private static boolean onePair(PrivateKey privateKey, VerificationKey publicKey) {
        if (privateKey instanceof RSAPrivateCrtKey crt && publicKey.key() instanceof RSAPublicKey rsa) {
            return crt.getModulus().equals(rsa.getModulus())
                    && crt.getPublicExponent().equals(rsa.getPublicExponent());
        }
        try {
            byte[] probe = "agentidp key pair probe".getBytes(StandardCharsets.US_ASCII);
            JWSHeader header = new JWSHeader(publicKey.algorithm().jose());
            JWSSigner signer = publicKey.algorithm() == JwsAlgorithm.ES256
                    ? new ECDSASigner(privateKey, Curve.P_256)
                    : new RSASSASigner(privateKey);
            return publicKey.verifier().verify(header, probe, signer.sign(header, probe));
        } catch (JOSEException e) {
            return false;
        }
    }

    /** P-256, or an error naming the curve rule; ES256 allows no other curve (RFC 7518 §3.4). */
    private static Curve p256(ECPublicKey key) {
        if (!Curve.P_256.equals(Curve.forECParameterSpec(key.getParams()))) {
            throw new IllegalArgumentException("is an EC key on a curve other than P-256; ES256 needs P-256");
        }
        return Curve.P_256;
    }

    /** A fresh RSA key pair (RS256). */
    public static KeyPair generate(int rsaBits) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(rsaBits);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA keys cannot be generated", e);
        }
    }

    /** A fresh EC P-256 key pair (ES256). */
    public static KeyPair generateP256() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(Curve.P_256.toECParameterSpec());
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("EC P-256 keys cannot be generated", e);
        }
    }

    /** Every key a token may be verified with, current first. */
    public List<VerificationKey> verificationKeys() {
        List<VerificationKey> all = new ArrayList<>();
        all.add(current);
        all.addAll(previous);
        return all;
    }

    /** The RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key: its {@code kid}. */
    public static String thumbprint(PublicKey key) {
        return VerificationKey.of(key).kid();
    }

    @Override
    public String toString() {
        return "SigningKeys[" + algorithm + ", kid=" + current.kid() + ", previous=" + previous.size() + "]";
    }
}
