package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.credential.ClientDirectory;
import ai.sentryagent.agentidp.credential.ClientRecord;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a token still stands for its grant (F-03): a valid signature and {@code exp} are not enough once the agent
 * is suspended or decommissioned, its tokens were cut off ({@code POST /api/v1/agents/{agentId}/tokens/revoke}, or a
 * credential revoked or rotated without grace), the token itself was revoked, or a scope was taken away — then the
 * token grants only the scopes the agent still holds, and is for only the RFC 8707 resources the agent still has
 * registered (none left: inactive). The agent's state comes from the same in-memory, change-notified
 * client directory as the token endpoint's, so a warm check costs no PostgreSQL round trip; the per-token revocation
 * check is one Redis round trip ({@link PgRedisRevocationStore}).
 */
public final class ActiveTokens {
    /** The outcome of a check. */
    public sealed interface Check {
        /** The token, with its scopes narrowed to those the agent still holds. */
        record Active(AccessToken token) implements Check {}

        /** Not a token that grants anything; {@code reason} is for the holder's 401. */
        record Inactive(String reason) implements Check {}
    }

    /**
     * A check, and which of the other revocation members asked with it are revoked — known only when the token is
     * {@code Active}: an inactive token is refused before any revocation is asked about, so then nothing is.
     */
    public record CheckedWith(Check check, Set<String> revoked) {}

    private static final Check INVALID = new Check.Inactive("the access token is invalid or expired");
    private static final Check REVOKED = new Check.Inactive("the access token has been revoked");
    private static final Check UNBOUND =
            new Check.Inactive("the access token is for resources the agent no longer has registered");

    private final TokenCodec codec;
    private final ClientDirectory clients;
    private final RevocationStore revocations;

    public ActiveTokens(TokenCodec codec, ClientDirectory clients, RevocationStore revocations) {
        this.codec = codec;
        this.clients = clients;
        this.revocations = revocations;
    }

    /** Verifies a token string, then {@link #current} its claims. */
    public Future<Check> check(String token) {
        return codec.verify(token).map(this::current).orElse(Future.succeededFuture(INVALID));
    }

    /** Checks the claims of a verified token against the agent's current state and the revocations. */
    public Future<Check> current(AccessToken token) {
        return current(token, List.of()).map(CheckedWith::check);
    }

    /**
     * {@link #current(AccessToken)}, asking in the same revocation command whether any of {@code others} (revocation
     * members: the delegation a token exchange would rest on) is revoked.
     *
     * <p>A token obtained by token exchange (RFC 8693) stands for its subject, acted for by its client: it is active
     * while the subject and every actor of its chain are active, the subject's cut-off is after it, and neither it,
     * nor any token it was exchanged from, nor any delegation it rests on is revoked. Its scopes and audiences are
     * narrowed to the subject's current ones. Round trips, with the client directory warm: none for the agents (in
     * memory), one Redis command for every revocation at once, {@code others} included
     * ({@link RevocationStore#revokedAmong}) — so an introspection of a delegated token costs two (the caller's
     * rate-limit count and this).
     */
    public Future<CheckedWith> current(AccessToken token, List<String> others) {
        if (token.delegation().isPresent()) {
            return currentDelegated(token, others);
        }
        return clients.findClient(token.clientId()).compose(found -> {
            Optional<String> refused = found.map(client -> refusal(client, token))
                    .orElse(Optional.of("the access token's client no longer exists"));
            if (refused.isPresent()) {
                return inactive(refused.get());
            }
            return narrowedAndUnrevoked(token, found.get(), others);
        });
    }

    private Future<CheckedWith> narrowedAndUnrevoked(AccessToken token, ClientRecord subject, List<String> others) {
        Optional<AccessToken> narrowed =
                token.narrowedTo(subject.scopes()).narrowedToAudiences(codec.defaultAudience(), subject.resources());
        if (narrowed.isEmpty()) {
            return Future.succeededFuture(new CheckedWith(UNBOUND, Set.of()));
        }
        List<String> own = token.revocationKeys();
        List<String> members = new ArrayList<>(own);
        members.addAll(others);
        return revocations
                .revokedAmong(members)
                .map(revoked -> own.stream().anyMatch(revoked::contains)
                        ? new CheckedWith(REVOKED, Set.of())
                        : new CheckedWith(new Check.Active(narrowed.get()), revoked));
    }

    private static Future<CheckedWith> inactive(String reason) {
        return Future.succeededFuture(new CheckedWith(new Check.Inactive(reason), Set.of()));
    }

    private Future<CheckedWith> currentDelegated(AccessToken token, List<String> others) {
        // Agents' client ids are their agent ids; the subject and every actor are agents (delegations are only
        // between agents).
        List<String> actors = token.delegation().get().actors();
        List<Future<Optional<ClientRecord>>> lookups = new ArrayList<>();
        lookups.add(clients.findClient(token.subject()));
        actors.forEach(actor -> lookups.add(clients.findClient(actor)));
        return Future.all(lookups).compose(all -> {
            Optional<ClientRecord> subject = all.resultAt(0);
            Optional<String> refused = subject.map(client -> refusal(client, token))
                    .orElse(Optional.of("the access token's subject no longer exists"));
            for (int i = 1; refused.isEmpty() && i < lookups.size(); i++) {
                Optional<ClientRecord> actor = all.resultAt(i);
                if (actor.isEmpty() || actor.get().status() != AgentStatus.ACTIVE) {
                    refused = Optional.of("an actor of the access token's delegation chain is no longer active");
                } else if (actor.get().tokensRevokedBefore().isPresent()
                        && token.issuedAt()
                                .isBefore(actor.get().tokensRevokedBefore().get())) {
                    // An actor's tokens were cut off: those it obtained by exchange go with them, at every depth
                    // (a derived token is never older than the tokens it came from).
                    refused = Optional.of("the access token has been revoked");
                }
            }
            if (!token.clientId().equals(actors.get(0))) {
                refused = Optional.of("the access token is invalid or expired");
            }
            if (refused.isPresent()) {
                return inactive(refused.get());
            }
            return narrowedAndUnrevoked(token, subject.get(), others);
        });
    }

    private static Optional<String> refusal(ClientRecord client, AccessToken token) {
        if (!client.agentId().toString().equals(token.subject())) {
            return Optional.of("the access token's client no longer exists");
        }
        if (client.status() != AgentStatus.ACTIVE) {
            return Optional.of("the agent is " + client.status().wireName());
        }
        // iat has whole seconds and so has the cut-off: iat before it means issued before the revocation.
        if (client.tokensRevokedBefore().isPresent()
                && token.issuedAt().isBefore(client.tokensRevokedBefore().get())) {
            return Optional.of("the access token has been revoked");
        }
        return Optional.empty();
    }
}
