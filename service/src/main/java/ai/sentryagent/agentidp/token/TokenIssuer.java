package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.credential.ClientRecord;
import java.util.List;

/** Signs an access token for an authenticated client; which scopes it carries is the grant's decision. */
public final class TokenIssuer {
    private final TokenCodec codec;

    public TokenIssuer(TokenCodec codec) {
        this.codec = codec;
    }

    /** The signed token and its claims. */
    public record Issued(String jwt, AccessToken claims, long expiresIn) {}

    /** Issues a token with these scopes, each already checked to be the client's. */
    public Issued issue(ClientRecord client, List<String> scopes) {
        AccessToken claims =
                codec.newToken(client.agentId().toString(), client.clientId(), scopes, client.tokensRevokedBefore());
        return new Issued(codec.sign(claims), claims, codec.ttlSeconds());
    }
}
