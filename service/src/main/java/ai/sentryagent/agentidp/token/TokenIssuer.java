package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.credential.ClientRecord;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Decides the scopes of a token for an authenticated client and signs it. */
public final class TokenIssuer {
    private final TokenCodec codec;

    public TokenIssuer(TokenCodec codec) {
        this.codec = codec;
    }

    /** The signed token and its claims. */
    public record Issued(String jwt, AccessToken claims, long expiresIn) {}

    /**
     * Issues a token. {@code requested} is the raw {@code scope} parameter: absent means every scope the agent
     * holds; present, it must name a non-empty subset of them.
     */
    public Issued issue(ClientRecord client, Optional<String> requested) {
        List<String> scopes = requested.isEmpty() ? client.scopes() : narrow(client, requested.get());
        AccessToken claims =
                codec.newToken(client.agentId().toString(), client.clientId(), scopes, client.tokensRevokedBefore());
        return new Issued(codec.sign(claims), claims, codec.ttlSeconds());
    }

    private static List<String> narrow(ClientRecord client, String requested) {
        if (requested.isBlank()) {
            throw OAuthException.invalidScope("scope must not be empty; omit it to get every scope of the client");
        }
        Set<String> unique = new LinkedHashSet<>();
        for (String scope : requested.split(" ", -1)) {
            if (scope.isEmpty() || !Scopes.wellFormed(scope)) {
                throw OAuthException.invalidScope("scope must be scope tokens separated by single spaces");
            }
            unique.add(scope);
        }
        List<String> outside = new ArrayList<>();
        for (String scope : unique) {
            if (!client.scopes().contains(scope)) {
                outside.add(scope);
            }
        }
        if (!outside.isEmpty()) {
            throw OAuthException.invalidScope("the client may not request: " + String.join(" ", outside));
        }
        return List.copyOf(unique);
    }
}
