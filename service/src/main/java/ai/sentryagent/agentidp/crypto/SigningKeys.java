package ai.sentryagent.agentidp.crypto;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The signing key and the public keys tokens are verified with: the current one and any still-valid previous ones
 * (key rotation, also from one algorithm to the other). The private key's type decides the algorithm: RSA signs
 * RS256, EC P-256 signs ES256. Each public key is named by its RFC 7638 JWK thumbprint.
 */
public record SigningKeys(
        PrivateKey privateKey, JwsAlgorithm algorithm, VerificationKey current, List<VerificationKey> previous) {

    public static final int MIN_RSA_BITS = 2048;

    /** A public key with its {@code kid} and the algorithm it verifies. */
    public record VerificationKey(String kid, JwsAlgorithm algorithm, PublicKey key) {
        public static VerificationKey of(PublicKey key) {
            return new VerificationKey(thumbprint(key), JwsAlgorithm.of(key), key);
        }

        /** Whether {@code signature} is this key's JWS signature over {@code signingInput}, as this service spells it. */
        public boolean verifies(byte[] signingInput, byte[] signature) {
            if (algorithm == JwsAlgorithm.ES256 && !P256.canonicalSignature(signature)) {
                return false;
            }
            try {
                Signature verifier = Signature.getInstance(algorithm.jdkVerifying());
                verifier.initVerify(key);
                verifier.update(signingInput);
                return verifier.verify(signature);
            } catch (GeneralSecurityException e) {
                return false;
            }
        }

        /** The key as a JWK (RFC 7517), for the JWKS document. */
        public Map<String, String> jwk() {
            Map<String, String> jwk = new LinkedHashMap<>();
            jwk.put("use", "sig");
            jwk.put("alg", algorithm.name());
            jwk.put("kid", kid);
            jwk.putAll(thumbprintMembers(key));
            return jwk;
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
        if (!onePair(algorithm, privateKey, publicKey)) {
            throw new IllegalArgumentException("does not match JWT_PRIVATE_KEY (they are not one key pair)");
        }
        VerificationKey current = VerificationKey.of(publicKey);
        List<VerificationKey> previous = new ArrayList<>();
        for (PublicKey key : previousKeys) {
            VerificationKey verification = VerificationKey.of(key);
            if (!verification.kid().equals(current.kid())) {
                previous.add(verification);
            }
        }
        return new SigningKeys(privateKey, algorithm, current, previous);
    }

    private static boolean onePair(JwsAlgorithm algorithm, PrivateKey privateKey, PublicKey publicKey) {
        if (privateKey instanceof RSAPrivateCrtKey crt && publicKey instanceof RSAPublicKey rsa) {
            return crt.getModulus().equals(rsa.getModulus())
                    && crt.getPublicExponent().equals(rsa.getPublicExponent());
        }
        try {
            byte[] probe = "agentidp key pair probe".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm.jdkVerifying());
            signer.initSign(privateKey);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm.jdkVerifying());
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
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
            generator.initialize(P256.PARAMETERS);
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

    /** RFC 7638: SHA-256 over the required JWK members in lexicographic order, base64url without padding. */
    public static String thumbprint(PublicKey key) {
        StringBuilder canonical = new StringBuilder("{");
        thumbprintMembers(key).forEach((name, value) -> {
            if (canonical.length() > 1) {
                canonical.append(',');
            }
            canonical.append('"').append(name).append("\":\"").append(value).append('"');
        });
        canonical.append('}');
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** The required JWK members of a public key, in lexicographic order (RFC 7638 §3.2). */
    private static Map<String, String> thumbprintMembers(PublicKey key) {
        Map<String, String> members = new LinkedHashMap<>();
        if (key instanceof RSAPublicKey rsa) {
            members.put("e", base64Url(rsa.getPublicExponent()));
            members.put("kty", "RSA");
            members.put("n", base64Url(rsa.getModulus()));
        } else if (key instanceof ECPublicKey ec) {
            Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
            members.put("crv", "P-256");
            members.put("kty", "EC");
            members.put("x", encoder.encodeToString(P256.fixedLength(ec.getW().getAffineX())));
            members.put("y", encoder.encodeToString(P256.fixedLength(ec.getW().getAffineY())));
        } else {
            throw new IllegalArgumentException("is a " + key.getAlgorithm() + " key; expected RSA or EC P-256");
        }
        return members;
    }

    /** The unsigned big-endian bytes of a JWK integer, base64url without padding (RFC 7518 §6.3.1). */
    static String base64Url(BigInteger value) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            byte[] trimmed = new byte[bytes.length - 1];
            System.arraycopy(bytes, 1, trimmed, 0, trimmed.length);
            bytes = trimmed;
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public String toString() {
        return "SigningKeys[" + algorithm + ", kid=" + current.kid() + ", previous=" + previous.size() + "]";
    }
}
