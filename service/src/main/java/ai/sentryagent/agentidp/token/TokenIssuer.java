package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.agent.ResourceIndicator;
import ai.sentryagent.agentidp.credential.ClientRecord;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Signs an access token for a client whose grant has been decided, and binds it to the resources the request names
 * (RFC 8707) — the one place every grant goes through, so every grant gets the same {@code resource} rule: each
 * {@code resource} must be one of the agent's registered resources, and the token's {@code aud} is then exactly the
 * resources asked for; anything else is {@code invalid_target}. Without {@code resource} the audience is
 * {@code TOKEN_AUDIENCE}. Which scopes the token carries is the grant's decision.
 */
public final class TokenIssuer {
    private final TokenCodec codec;

    public TokenIssuer(TokenCodec codec) {
        this.codec = codec;
    }

    /** The signed token and its claims. */
    public record Issued(String jwt, AccessToken claims, long expiresIn) {}

    /**
     * Issues a token to {@code client} with these scopes, each already checked to be the client's, for the
     * {@code resource} parameters among {@code parameters}: {@link GrantOutcome.Issued}, or
     * {@link GrantOutcome.InvalidTarget} naming the first resource refused. The resources come from the client's
     * cached record, so this costs no round trip.
     */
    public GrantOutcome issue(ClientRecord client, List<String> scopes, Grant.Parameters parameters) {
        Set<String> requested = new LinkedHashSet<>(parameters.all("resource"));
        List<String> resources = new ArrayList<>(requested.size());
        for (String resource : requested) {
            var problem = ResourceIndicator.problem(resource);
            if (problem.isPresent()) {
                return new GrantOutcome.InvalidTarget("resource " + printable(resource) + " " + problem.get());
            }
            if (!client.resources().contains(resource)) {
                return new GrantOutcome.InvalidTarget(
                        "resource " + printable(resource) + " is not one of the client's registered resources");
            }
            resources.add(resource);
        }
        AccessToken claims = codec.newToken(
                client.agentId().toString(), client.clientId(), scopes, client.tokensRevokedBefore(), resources);
        String jwt = codec.sign(claims);
        if (jwt.length() > TokenCodec.MAX_TOKEN_LENGTH) {
            // Only reachable with many long resources and scopes together: a token this service would refuse to
            // introspect or revoke is not issued.
            return new GrantOutcome.InvalidTarget("the token for these resources would be longer than "
                    + TokenCodec.MAX_TOKEN_LENGTH + " characters; ask for fewer resources or scopes");
        }
        return new GrantOutcome.Issued(client, new Issued(jwt, claims, codec.ttlSeconds()));
    }

    /** Printable ASCII, cut to a length that keeps the description a line, for an error a client reads. */
    private static String printable(String value) {
        String cut = value.length() > 80 ? value.substring(0, 80) + "..." : value;
        return cut.replaceAll("[^\\x21-\\x7E]", "?");
    }
}
