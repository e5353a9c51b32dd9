package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.credential.CredentialStore;
import ai.sentryagent.agentidp.crypto.CredentialHasher;
import io.vertx.core.Future;
import java.util.Optional;

/**
 * Checks a client id and secret. The secret is hashed before the lookup and compared in constant time against
 * every usable secret, and an unknown client is compared against a dummy hash, so a guess costs the same whether
 * or not the client exists.
 */
public final class ClientAuthenticator {
    private static final int MAX_CLIENT_ID_LENGTH = 128;
    private static final int MAX_SECRET_LENGTH = 512;
    private static final byte[] DUMMY_HASH = new byte[32];

    private final CredentialStore credentials;
    private final CredentialHasher hasher;

    public ClientAuthenticator(CredentialStore credentials, CredentialHasher hasher) {
        this.credentials = credentials;
        this.hasher = hasher;
    }

    /** The authenticated client; empty when the id, the secret or the agent's state does not allow it. */
    public Future<Optional<ClientRecord>> authenticate(String clientId, String secret) {
        if (clientId.isEmpty() || clientId.length() > MAX_CLIENT_ID_LENGTH || secret.length() > MAX_SECRET_LENGTH) {
            return Future.succeededFuture(Optional.empty());
        }
        byte[] presented = hasher.hash(secret);
        return credentials.findClient(clientId).map(found -> {
            if (found.isEmpty()) {
                CredentialHasher.matches(DUMMY_HASH, presented);
                return Optional.empty();
            }
            ClientRecord client = found.get();
            boolean matched = false;
            for (ClientRecord.StoredSecret stored : client.secrets()) {
                matched |= CredentialHasher.matches(stored.hash(), presented);
            }
            return matched && client.status() == AgentStatus.ACTIVE ? Optional.of(client) : Optional.empty();
        });
    }
}
