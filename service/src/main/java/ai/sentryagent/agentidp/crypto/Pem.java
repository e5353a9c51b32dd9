package ai.sentryagent.agentidp.crypto;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes RSA and EC P-256 keys in PEM. Accepts PKCS#8 ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE
 * KEY}) and SEC1 ({@code EC PRIVATE KEY}, as {@code openssl ecparam -genkey} writes it) private keys, X.509 ({@code
 * PUBLIC KEY}) and PKCS#1 ({@code RSA PUBLIC KEY}) public keys, with real newlines or the literal {@code \n} that
 * one-line secret stores need. Error messages never contain key material.
 */
public final class Pem {
    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

    // DER prefix that wraps a PKCS#1 RSAPrivateKey into a PKCS#8 PrivateKeyInfo (version 0, rsaEncryption).
    private static final byte[] RSA_ALGORITHM_ID = {
        0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00
    };

    // AlgorithmIdentifier {id-ecPublicKey, prime256v1}: wraps a SEC1 ECPrivateKey into a PKCS#8 PrivateKeyInfo.
    private static final byte[] P256_ALGORITHM_ID = {
        0x30,
        0x13,
        0x06,
        0x07,
        0x2a,
        (byte) 0x86,
        0x48,
        (byte) 0xce,
        0x3d,
        0x02,
        0x01,
        0x06,
        0x08,
        0x2a,
        (byte) 0x86,
        0x48,
        (byte) 0xce,
        0x3d,
        0x03,
        0x01,
        0x07
    };

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

    /** An RSA private key with CRT parameters, or an EC private key on P-256. */
    public static PrivateKey privateKey(String pem) {
        Block block = single(pem, "a private key");
        return switch (block.type()) {
            case "PRIVATE KEY" -> pkcs8(block.der());
            case "RSA PRIVATE KEY" ->
                pkcs8(sequence(concat(new byte[] {0x02, 0x01, 0x00}, RSA_ALGORITHM_ID, octetString(block.der()))));
            case "EC PRIVATE KEY" ->
                pkcs8(sequence(concat(new byte[] {0x02, 0x01, 0x00}, P256_ALGORITHM_ID, octetString(block.der()))));
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
            if (key instanceof RSAPrivateKey) {
                throw new IllegalArgumentException("is not an RSA private key with CRT parameters");
            }
            if (key instanceof ECPrivateKey ec) {
                P256.require(ec);
                return key;
            }
        }
        throw new IllegalArgumentException("is not a readable RSA or EC private key");
    }

    /** An RSA public key, or an EC public key on P-256. */
    public static PublicKey publicKey(String pem) {
        Block block = single(pem, "a public key");
        return publicKey(block);
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
            case "RSA PUBLIC KEY" -> {
                try {
                    BigInteger[] parts = Der.integers(block.der(), 2);
                    yield KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(parts[0], parts[1]));
                } catch (GeneralSecurityException | IllegalStateException e) {
                    throw new IllegalArgumentException("is not a readable RSA public key");
                }
            }
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
                P256.require(ec);
            }
            return key;
        }
        throw new IllegalArgumentException("is not a readable RSA or EC public key");
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

    private static byte[] sequence(byte[] content) {
        return tagged(0x30, content);
    }

    private static byte[] octetString(byte[] content) {
        return tagged(0x04, content);
    }

    private static byte[] tagged(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else if (length < 0x100) {
            out.write(0x81);
            out.write(length);
        } else if (length < 0x10000) {
            out.write(0x82);
            out.write(length >> 8);
            out.write(length);
        } else {
            out.write(0x83);
            out.write(length >> 16);
            out.write(length >> 8);
            out.write(length);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Just enough DER to read the INTEGERs of a PKCS#1 public key. */
    static final class Der {
        private Der() {}

        static BigInteger[] integers(byte[] der, int count) {
            int[] position = {0};
            expect(der, position, 0x30);
            readLength(der, position);
            BigInteger[] values = new BigInteger[count];
            for (int i = 0; i < count; i++) {
                expect(der, position, 0x02);
                int length = readLength(der, position);
                if (position[0] + length > der.length) {
                    throw new IllegalStateException("truncated");
                }
                byte[] value = new byte[length];
                System.arraycopy(der, position[0], value, 0, length);
                position[0] += length;
                values[i] = new BigInteger(value);
            }
            return values;
        }

        private static void expect(byte[] der, int[] position, int tag) {
            if (position[0] >= der.length || (der[position[0]] & 0xff) != tag) {
                throw new IllegalStateException("unexpected tag");
            }
            position[0]++;
        }

        private static int readLength(byte[] der, int[] position) {
            if (position[0] >= der.length) {
                throw new IllegalStateException("truncated");
            }
            int first = der[position[0]++] & 0xff;
            if (first < 0x80) {
                return first;
            }
            int bytes = first & 0x7f;
            if (bytes > 3 || position[0] + bytes > der.length) {
                throw new IllegalStateException("bad length");
            }
            int length = 0;
            for (int i = 0; i < bytes; i++) {
                length = (length << 8) | (der[position[0]++] & 0xff);
            }
            return length;
        }
    }
}
