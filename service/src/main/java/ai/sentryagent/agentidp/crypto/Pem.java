package ai.sentryagent.agentidp.crypto;

import com.nimbusds.jose.jwk.Curve;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes RSA and EC P-256 keys in PEM: PKCS#8 private keys ({@code PRIVATE KEY}, what {@code keygen} and
 * OpenSSL 3 write) and X.509 public keys ({@code PUBLIC KEY}), with real newlines or the literal {@code \n} that
 * one-line secret stores need. The DER inside is the JDK's {@link KeyFactory}'s to read; the older PKCS#1 and SEC1
 * forms are refused with the one {@code openssl} command that converts them, rather than parsed by hand or with an
 * 8 MB library. Error messages never contain key material.
 */
public final class Pem {
    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

    private Pem() {}

    /** Normalises the one-line form: literal {@code \n} and {@code \r\n} become newlines. */
    public static String unescape(String pem) {
        return pem.replace("\\r\\n", "\n")
                .replace("\\n", "\n")
                .replace("\r\n", "\n")
                .trim();
    }

    /** The one-line form with literal {@code \n}, as secret stores and tfvars-style tools want it. */
    public static String escape(String pem) {
        return pem.strip().replace("\n", "\\n") + "\\n";
    }

    /** An RSA private key with CRT parameters, or an EC private key on P-256, in PKCS#8. */
    public static PrivateKey privateKey(String pem) {
        Block block = single(pem, "a private key");
        return switch (block.type()) {
            case "PRIVATE KEY" -> pkcs8(block.der());
            case "RSA PRIVATE KEY" ->
                throw new IllegalArgumentException("is a PKCS#1 RSA PRIVATE KEY; only PKCS#8 (BEGIN PRIVATE KEY) is"
                        + " read: convert it with openssl pkcs8 -topk8 -nocrypt -in key.pem, or make a new one with"
                        + " agentidp.jar keygen");
            case "EC PRIVATE KEY" ->
                throw new IllegalArgumentException("is a SEC1 EC PRIVATE KEY; only PKCS#8 (BEGIN PRIVATE KEY) is"
                        + " read: convert it with openssl pkcs8 -topk8 -nocrypt -in key.pem, or make a new one with"
                        + " agentidp.jar keygen --algorithm ES256");
            case "ENCRYPTED PRIVATE KEY" ->
                throw new IllegalArgumentException(
                        "is an encrypted private key; provide it unencrypted (the secret store protects it)");
            default -> throw new IllegalArgumentException("holds a " + block.type() + ", expected a private key");
        };
    }

    private static PrivateKey pkcs8(byte[] der) {
        for (String algorithm : new String[] {"RSA", "EC"}) {
            PrivateKey key;
            try {
                key = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException | RuntimeException e) {
                continue;
            }
            if (key instanceof RSAPrivateCrtKey) {
                return key;
            }
            if (key instanceof ECPrivateKey ec) {
                requireP256(ec.getParams());
                return key;
            }
            throw new IllegalArgumentException("is not an RSA private key with CRT parameters");
        }
        throw new IllegalArgumentException("is not a readable RSA or EC private key");
    }

    /** An RSA public key, or an EC public key on P-256, in X.509 SubjectPublicKeyInfo form. */
    public static PublicKey publicKey(String pem) {
        return publicKey(single(pem, "a public key"));
    }

    /** Every public key in a bundle of concatenated PEM blocks. */
    public static List<PublicKey> publicKeys(String pem) {
        List<PublicKey> keys = new ArrayList<>();
        for (Block block : blocks(unescape(pem))) {
            keys.add(publicKey(block));
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("holds no PEM public key");
        }
        return keys;
    }

    private static PublicKey publicKey(Block block) {
        return switch (block.type()) {
            case "PUBLIC KEY" -> x509(block.der());
            case "RSA PUBLIC KEY" ->
                throw new IllegalArgumentException("is a PKCS#1 RSA PUBLIC KEY; only X.509 (BEGIN PUBLIC KEY) is"
                        + " read: convert it with openssl rsa -RSAPublicKey_in -pubout -in key.pem");
            default -> throw new IllegalArgumentException("holds a " + block.type() + ", expected a public key");
        };
    }

    private static PublicKey x509(byte[] der) {
        for (String algorithm : new String[] {"RSA", "EC"}) {
            PublicKey key;
            try {
                key = KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException | RuntimeException e) {
                continue;
            }
            if (key instanceof ECPublicKey ec) {
                requireP256(ec.getParams());
            }
            return key;
        }
        throw new IllegalArgumentException("is not a readable RSA or EC public key");
    }

    private static void requireP256(java.security.spec.ECParameterSpec params) {
        if (!Curve.P_256.equals(Curve.forECParameterSpec(params))) {
            throw new IllegalArgumentException("is an EC key on a curve other than P-256; ES256 needs P-256");
        }
    }

    public static String encodePrivate(PrivateKey key) {
        return encode("PRIVATE KEY", key.getEncoded());
    }

    public static String encodePublic(PublicKey key) {
        return encode("PUBLIC KEY", key.getEncoded());
    }

    private static String encode(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    private record Block(String type, byte[] der) {}

    private static Block single(String pem, String what) {
        List<Block> blocks = blocks(unescape(pem));
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("is not PEM (expected -----BEGIN ...----- holding " + what + ")");
        }
        if (blocks.size() > 1) {
            throw new IllegalArgumentException("holds " + blocks.size() + " PEM blocks, expected one");
        }
        return blocks.get(0);
    }

    private static List<Block> blocks(String pem) {
        List<Block> blocks = new ArrayList<>();
        Matcher matcher = BLOCK.matcher(pem);
        while (matcher.find()) {
            try {
                blocks.add(new Block(matcher.group(1), Base64.getMimeDecoder().decode(matcher.group(2))));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("has a PEM block that is not valid base64");
            }
        }
        return blocks;
    }
}
