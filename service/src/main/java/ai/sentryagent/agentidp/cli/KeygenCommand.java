package ai.sentryagent.agentidp.cli;

import ai.sentryagent.agentidp.UserFacingException;
import ai.sentryagent.agentidp.crypto.Pem;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keygen}: a fresh RS256 (RSA) or ES256 (EC P-256) key pair as PEM files, plus the one-line {@code \n}-escaped forms that secret
 * stores and deploy tools take. The private key files are written owner-only and never printed.
 */
@Command(
        name = "keygen",
        description = "Write a fresh RSA or EC P-256 key pair for signing tokens (PEM + one-line forms).")
public final class KeygenCommand implements Callable<Integer> {
    @Option(names = "--out", description = "Directory to write into (default: ${DEFAULT-VALUE}).", defaultValue = ".")
    Path out;

    @Option(
            names = "--algorithm",
            description = "RS256 (RSA) or ES256 (EC P-256; far cheaper to sign) (default: ${DEFAULT-VALUE}).",
            defaultValue = "RS256")
    String algorithm;

    @Option(
            names = "--bits",
            description = "RSA key size: 2048, 3072 or 4096 (default: ${DEFAULT-VALUE}).",
            defaultValue = "2048")
    int bits;

    @Option(names = "--force", description = "Overwrite existing files.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        boolean ec = switch (algorithm) {
            case "RS256" -> false;
            case "ES256" -> true;
            default -> throw new UserFacingException("--algorithm must be RS256 or ES256");
        };
        if (bits != 2048 && bits != 3072 && bits != 4096) {
            throw new UserFacingException("--bits must be 2048, 3072 or 4096");
        }
        Files.createDirectories(out);
        KeyPair pair = ec ? SigningKeys.generateP256() : SigningKeys.generate(bits);
        String privatePem = Pem.encodePrivate(pair.getPrivate());
        String publicPem = Pem.encodePublic(pair.getPublic());
        write("jwt_private.pem", privatePem, true);
        write("jwt_private.oneline", Pem.escape(privatePem), true);
        write("jwt_public.pem", publicPem, false);
        write("jwt_public.oneline", Pem.escape(publicPem), false);
        System.out.println("Wrote " + (ec ? "an EC P-256 (ES256)" : "an RSA-" + bits + " (RS256)") + " key pair to "
                + out.toAbsolutePath().normalize() + ":");
        System.out.println("  jwt_private.pem, jwt_private.oneline   (secret; owner-only permissions)");
        System.out.println("  jwt_public.pem,  jwt_public.oneline");
        System.out.println("kid (RFC 7638 thumbprint): " + SigningKeys.thumbprint(pair.getPublic()));
        System.out.println("Put them in your secret store, e.g.:");
        System.out.println("  aws secretsmanager put-secret-value --secret-id /sentryagent-agentidp/production/"
                + "jwt-private-key --secret-string file://jwt_private.pem");
        System.out.println("  gcloud secrets versions add sentryagent-agentidp-production-jwt-private-key"
                + " --data-file=jwt_private.pem");
        System.out.println("then delete the local private key files.");
        return 0;
    }

    private void write(String name, String content, boolean secret) throws IOException {
        Path file = out.resolve(name);
        if (Files.exists(file) && !force) {
            throw new UserFacingException(file + " already exists; use --force to overwrite it");
        }
        Files.deleteIfExists(file);
        try {
            if (secret && supportsPosix(out)) {
                Files.createFile(
                        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(file);
            }
        } catch (FileAlreadyExistsException e) {
            throw new UserFacingException(file + " already exists; use --force to overwrite it");
        }
        Files.writeString(file, content, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private static boolean supportsPosix(Path directory) {
        return directory.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
