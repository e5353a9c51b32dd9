package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.credential.ClientRecord;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The client credentials grant (RFC 6749 §4.4): the client authenticates, and gets a token for the scopes it asks
 * for — every scope its agent holds when it names none (§3.3 lets the server pick a default) — bound to the RFC 8707
 * resources it names ({@link TokenCodec#issue}).
 */
public final class ClientCredentialsGrant implements Grant {
    public static final String GRANT_TYPE = "client_credentials";

    private final ClientAuthenticator authenticator;
    private final TokenCodec codec;

    public ClientCredentialsGrant(ClientAuthenticator authenticator, TokenCodec codec) {
        this.authenticator = authenticator;
        this.codec = codec;
    }

    @Override
    public String grantType() {
        return GRANT_TYPE;
    }

    @Override
    public Future<GrantOutcome> apply(Request request) {
        // An empty scope= is a request for nothing, not an omitted scope: answered invalid_scope below.
        Optional<String> scope = request.parameters().has("scope")
                ? Optional.of(request.parameters().get("scope").orElse(""))
                : Optional.empty();
        return authenticator
                .authenticate(request.client(), true)
                .map(authentication -> authentication.fold(
                        authenticated -> issue(authenticated.client(), scope, request.parameters()),
                        refused -> refused));
    }

    private GrantOutcome issue(ClientRecord client, Optional<String> requested, Grant.Parameters parameters) {
        if (requested.isEmpty()) {
            return codec.issue(client, client.scopes(), parameters);
        }
        String scope = requested.get();
        if (scope.isBlank()) {
            return new GrantOutcome.InvalidScope("scope must not be empty; omit it to get every scope of the client");
        }
        Set<String> unique = new LinkedHashSet<>();
        for (String token : scope.split(" ", -1)) {
            if (token.isEmpty() || !Scopes.wellFormed(token)) {
                return new GrantOutcome.InvalidScope("scope must be scope tokens separated by single spaces");
            }
            unique.add(token);
        }
        List<String> outside = new ArrayList<>();
        for (String token : unique) {
            if (!client.scopes().contains(token)) {
                outside.add(token);
            }
        }
        if (!outside.isEmpty()) {
            return new GrantOutcome.InvalidScope("the client may not request: " + String.join(" ", outside));
        }
        return codec.issue(client, List.copyOf(unique), parameters);
    }
}
