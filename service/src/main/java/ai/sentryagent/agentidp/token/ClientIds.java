package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.crypto.CredentialHasher;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What a client id can look like, decided from the ids this service issues: agent ids (UUIDs) and
 * {@code BOOTSTRAP_ADMIN_CLIENT_ID} (3–64 letters, digits, '.', '_', '-'). Anything else is refused before it becomes
 * a database parameter, a rate-limit key or an audit field.
 */
public final class ClientIds {
    public static final int MAX_LENGTH = 128;
    public static final String MALFORMED = "[malformed client id]";
    public static final String LOOKS_LIKE_SECRET = "[redacted: looks like a client secret]";

    private static final Pattern WELL_FORMED = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_LENGTH + "}");
    /** The random part of a secret: 32 bytes in unpadded base64url. */
    private static final Pattern SECRET_BODY = Pattern.compile("[A-Za-z0-9_-]{43}");

    private ClientIds() {}

    public static boolean wellFormed(String clientId) {
        return WELL_FORMED.matcher(clientId).matches();
    }

    /**
     * How an id that has not authenticated may be recorded: verbatim only when it is well formed and does not look
     * like a client secret (a client that swapped its id and secret must not leave the secret in the audit trail).
     */
    public static String forAudit(String clientId) {
        if (clientId.toLowerCase(Locale.ROOT).contains(CredentialHasher.SECRET_PREFIX)
                || SECRET_BODY.matcher(clientId).matches()) {
            return LOOKS_LIKE_SECRET;
        }
        return wellFormed(clientId) ? clientId : MALFORMED;
    }
}
