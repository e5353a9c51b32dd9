package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.agent.ResourceIndicator;
import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.credential.ClientDirectory;
import ai.sentryagent.agentidp.credential.ClientRecord;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Token exchange (RFC 8693) for agent-to-agent delegation: the actor authenticates as a client and presents an
 * access token of this issuer (the subject token); if the token's current holder — its subject for a first hop, its
 * current actor after that — has given the actor a live {@link Delegation}, the actor gets a token for the same
 * subject with itself as the outermost {@code act} (§4.1), the scopes narrowed to the subject token's and the
 * delegation's, bound to resources among the delegation's audiences, and never outliving the subject token, the
 * delegation or {@code TOKEN_EXCHANGE_MAX_LIFETIME_SECONDS}. The new token carries its ancestors' jtis and its
 * delegations' ids ({@link AccessToken.Delegation}), so revoking any of them deactivates it.
 *
 * <p>Cost on top of client authentication: one verification, one Redis command for the revocation of the subject
 * token (its jti, its ancestors', its delegations') and — when the actor's delegations are in memory — of the
 * delegation this hop would rest on, all in one {@code ZMSCORE} (else one PostgreSQL query for the delegations), and
 * one signature.
 */
public final class TokenExchangeGrant implements Grant {
    public static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
    public static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
    private static final String JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";
    private static final Set<String> TOKEN_TYPES = Set.of(ACCESS_TOKEN_TYPE, JWT_TYPE);

    private final ClientAuthenticator authenticator;
    private final TokenCodec codec;
    private final ActiveTokens tokens;
    private final ClientDirectory clients;
    private final DelegationStore delegations;
    private final Duration maxLifetime;
    private final RevocationStore revocations;
    /** Each actor's live delegations as last read from PostgreSQL (see {@link #fromCache}). */
    private final Cache<UUID, List<Delegation>> received = Caffeine.newBuilder()
            .maximumSize(10_000)
            .expireAfterWrite(Duration.ofSeconds(30))
            .executor(Runnable::run)
            .build();

    public TokenExchangeGrant(
            ClientAuthenticator authenticator,
            TokenCodec codec,
            ActiveTokens tokens,
            ClientDirectory clients,
            DelegationStore delegations,
            RevocationStore revocations,
            Duration maxLifetime) {
        this.revocations = revocations;
        this.authenticator = authenticator;
        this.codec = codec;
        this.tokens = tokens;
        this.clients = clients;
        this.delegations = delegations;
        this.maxLifetime = maxLifetime;
    }

    @Override
    public String grantType() {
        return GRANT_TYPE;
    }

    @Override
    public Future<GrantOutcome> apply(Request request) {
        return authenticator
                .authenticate(request.client(), true)
                .compose(authentication -> authentication.<Future<GrantOutcome>>fold(
                        authenticated -> exchange(authenticated.client(), request.parameters()),
                        refused -> Future.succeededFuture(refused)));
    }

    private Future<GrantOutcome> exchange(ClientRecord actor, Parameters parameters) {
        Optional<GrantOutcome> malformed = malformed(actor, parameters);
        if (malformed.isPresent()) {
            return Future.succeededFuture(malformed.get());
        }
        if (parameters.get("actor_token").isEmpty()) {
            return withSubjectToken(actor, parameters);
        }
        // RFC 8693 §2.2.2: a revoked actor_token, or one of an agent no longer active, proves nothing either.
        return tokens.current(
                        codec.verifyIssued(parameters.get("actor_token").get()).orElseThrow())
                .compose(check -> check instanceof ActiveTokens.Check.Active
                        ? withSubjectToken(actor, parameters)
                        : Future.succeededFuture(new GrantOutcome.InvalidRequest(
                                "actor_token is not active: " + ((ActiveTokens.Check.Inactive) check).reason())));
    }

    private Future<GrantOutcome> withSubjectToken(ClientRecord actor, Parameters parameters) {
        Optional<AccessToken> verified =
                codec.verifyIssued(parameters.get("subject_token").orElseThrow());
        if (verified.isEmpty()) {
            return Future.succeededFuture(new GrantOutcome.InvalidGrant(
                    "subject_token is not a valid, unexpired access token of this issuer"));
        }
        // The delegations this hop could rest on, when in memory, are asked about with the subject token's
        // revocations: one Redis command for both.
        List<Delegation> candidates = cachedFromHolder(actor, holder(verified.get()));
        List<String> delegationKeys =
                candidates.stream().map(TokenExchangeGrant::key).toList();
        return tokens.current(verified.get(), delegationKeys).compose(checked -> {
            ActiveTokens.Check check = checked.check();
            if (check instanceof ActiveTokens.Check.Inactive inactive) {
                return Future.succeededFuture(
                        new GrantOutcome.InvalidGrant("subject_token is not active: " + inactive.reason()));
            }
            AccessToken subjectToken = ((ActiveTokens.Check.Active) check).token();
            List<String> chain = subjectToken
                    .delegation()
                    .map(AccessToken.Delegation::actors)
                    .orElse(List.of());
            String actorId = actor.agentId().toString();
            if (actorId.equals(subjectToken.subject()) || chain.contains(actorId)) {
                return Future.succeededFuture(new GrantOutcome.InvalidGrant(
                        "agent " + actorId + " is already in the token's delegation chain (a cycle)"));
            }
            // A further hop rests on the holder's delegation, which never exceeds the holder: keep within what the
            // holder still holds, as the subject token already keeps within what the subject still holds.
            Future<AccessToken> withinHolder = chain.isEmpty()
                    ? Future.succeededFuture(subjectToken)
                    : clients.findClient(chain.get(0))
                            .map(holder -> holder.map(h -> withinHolder(subjectToken, h))
                                    .orElse(subjectToken.narrowedTo(List.of())));
            return Future.all(withinHolder, clients.findClient(subjectToken.subject()))
                    .compose(both -> {
                        List<Delegation> live = candidates.stream()
                                .filter(d -> !checked.revoked().contains(key(d)))
                                .toList();
                        return fromCache(actor, parameters, both.resultAt(0), chain, both.resultAt(1), live);
                    });
        });
    }

    /** Whose delegation a further hop rests on: the subject's for a first hop, the current actor's after that. */
    private static String holder(AccessToken token) {
        List<String> chain =
                token.delegation().map(AccessToken.Delegation::actors).orElse(List.of());
        return chain.isEmpty() ? token.subject() : chain.get(0);
    }

    /** The actor's unexpired delegations from {@code holder} as last read (see {@link #fromCache}); maybe none. */
    private List<Delegation> cachedFromHolder(ClientRecord actor, String holder) {
        List<Delegation> cached = received.getIfPresent(actor.agentId());
        if (cached == null) {
            return List.of();
        }
        Instant now = codec.clock().instant();
        return cached.stream()
                .filter(d -> d.liveAt(now) && d.subjectAgentId().toString().equals(holder))
                .toList();
    }

    private static String key(Delegation delegation) {
        return AccessToken.delegationKey(delegation.delegationId().toString());
    }

    /** The subject token's scopes and the chain's resources, narrowed to the holder's current ones. */
    private static AccessToken withinHolder(AccessToken token, ClientRecord holder) {
        AccessToken.Delegation d = token.delegation().orElseThrow();
        List<String> resources =
                d.resources().stream().filter(holder.resources()::contains).toList();
        AccessToken narrowed = token.narrowedTo(holder.scopes());
        return new AccessToken(
                narrowed.issuer(),
                narrowed.subject(),
                narrowed.clientId(),
                narrowed.audience(),
                narrowed.scopes(),
                narrowed.issuedAt(),
                narrowed.expiresAt(),
                narrowed.jti(),
                Optional.of(
                        new AccessToken.Delegation(d.act(), d.ancestors(), d.delegations(), d.maxDepth(), resources)));
    }

    /**
     * The actor's delegations as last read, when one of them (still unexpired, and not revoked: asked in the subject
     * token's revocation command) admits the request; else a fresh read. Delegations never change but by revocation,
     * and a revocation is in Redis before its DELETE answers, so an answer from the copy is the answer PostgreSQL would
     * give — at no round trip of its own instead of a query's. Refusals, and new delegations, always come from
     * PostgreSQL. {@code live}: the holder's delegations in memory that are not revoked.
     */
    private Future<GrantOutcome> fromCache(
            ClientRecord actor,
            Parameters parameters,
            AccessToken subjectToken,
            List<String> chain,
            Optional<ClientRecord> subject,
            List<Delegation> live) {
        GrantOutcome outcome = live.isEmpty() ? null : decide(actor, parameters, subjectToken, chain, live, subject);
        return outcome instanceof GrantOutcome.Issued
                ? Future.succeededFuture(outcome)
                : fresh(actor, parameters, subjectToken, chain, subject);
    }

    private Future<GrantOutcome> fresh(
            ClientRecord actor,
            Parameters parameters,
            AccessToken subjectToken,
            List<String> chain,
            Optional<ClientRecord> subject) {
        return delegations.liveReceivedBy(actor.agentId()).map(list -> {
            received.put(actor.agentId(), list);
            return decide(actor, parameters, subjectToken, chain, list, subject);
        });
    }

    /** RFC 8693 §2.1's parameters: {@code invalid_request} for a missing or unsupported one. */
    private Optional<GrantOutcome> malformed(ClientRecord actor, Parameters parameters) {
        if (parameters.get("subject_token").isEmpty()) {
            return invalidRequest("subject_token is required");
        }
        Optional<String> subjectType = parameters.get("subject_token_type");
        if (subjectType.isEmpty()) {
            return invalidRequest("subject_token_type is required");
        }
        if (!TOKEN_TYPES.contains(subjectType.get())) {
            return invalidRequest("subject_token_type must be " + ACCESS_TOKEN_TYPE + " or " + JWT_TYPE);
        }
        Optional<String> requested = parameters.get("requested_token_type");
        if (requested.isPresent() && !requested.get().equals(ACCESS_TOKEN_TYPE)) {
            return invalidRequest("requested_token_type must be " + ACCESS_TOKEN_TYPE + " (the only type issued)");
        }
        Optional<String> actorToken = parameters.get("actor_token");
        Optional<String> actorType = parameters.get("actor_token_type");
        if (actorToken.isPresent() != actorType.isPresent()) {
            // RFC 8693 §2.1: actor_token_type is required when actor_token is present, and must not be otherwise.
            return invalidRequest("actor_token and actor_token_type go together");
        }
        if (actorToken.isPresent()) {
            if (!TOKEN_TYPES.contains(actorType.get())) {
                return invalidRequest("actor_token_type must be " + ACCESS_TOKEN_TYPE + " or " + JWT_TYPE);
            }
            // RFC 8693 §2.2.2: an unacceptable actor_token is invalid_request. It must be the actor's own token.
            Optional<AccessToken> actorClaims = codec.verifyIssued(actorToken.get());
            if (actorClaims.isEmpty()
                    || !actorClaims.get().clientId().equals(actor.clientId())
                    || !actorClaims.get().subject().equals(actor.agentId().toString())) {
                return invalidRequest("actor_token must be a valid access token of the authenticated client");
            }
        }
        return Optional.empty();
    }

    private GrantOutcome decide(
            ClientRecord actor,
            Parameters parameters,
            AccessToken subjectToken,
            List<String> chain,
            List<Delegation> received,
            Optional<ClientRecord> subject) {
        if (received.isEmpty()) {
            return new GrantOutcome.UnauthorizedClient(
                    "the client holds no live delegation, so it may not use token exchange");
        }
        if (subject.isEmpty()) {
            return new GrantOutcome.InvalidGrant("subject_token is not active: its subject no longer exists");
        }
        String holder = chain.isEmpty() ? subjectToken.subject() : chain.get(0);
        List<Delegation> fromHolder = received.stream()
                .filter(d -> d.subjectAgentId().toString().equals(holder))
                .toList();
        if (fromHolder.isEmpty()) {
            return new GrantOutcome.InvalidGrant("agent " + holder + " has given the client no live delegation");
        }
        int depth = chain.size() + 1;
        Optional<String> scope =
                parameters.has("scope") ? Optional.of(parameters.get("scope").orElse("")) : Optional.empty();
        Optional<List<String>> requestedScopes = requestedScopes(scope);
        if (requestedScopes.isPresent() && requestedScopes.get().isEmpty()) {
            return new GrantOutcome.InvalidScope("scope must be scope tokens separated by single spaces");
        }
        Set<String> targets = new LinkedHashSet<>(parameters.all("resource"));
        targets.addAll(parameters.all("audience"));
        List<String> resources = new ArrayList<>(targets);
        for (String resource : resources) {
            Optional<String> problem = ResourceIndicator.problem(resource);
            if (problem.isPresent()) {
                return new GrantOutcome.InvalidTarget("resource " + printable(resource) + " " + problem.get());
            }
        }
        // Several live delegations from the holder: the first that admits the request; else the first's refusal.
        GrantOutcome refusal = null;
        for (Delegation delegation : fromHolder) {
            GrantOutcome outcome =
                    issue(actor, subjectToken, chain, depth, delegation, requestedScopes, resources, subject.get());
            if (outcome instanceof GrantOutcome.Issued) {
                return outcome;
            }
            refusal = refusal == null ? outcome : refusal;
        }
        return refusal;
    }

    private GrantOutcome issue(
            ClientRecord actor,
            AccessToken subjectToken,
            List<String> chain,
            int depth,
            Delegation delegation,
            Optional<List<String>> requestedScopes,
            List<String> resources,
            ClientRecord subject) {
        int maxDepth =
                subjectToken.delegation().map(AccessToken.Delegation::maxDepth).orElse(delegation.maxDepth());
        if (depth > maxDepth) {
            return new GrantOutcome.InvalidGrant(
                    "the delegation chain would be " + depth + " actors long; its first delegation allows " + maxDepth);
        }
        List<String> available = subjectToken.scopes().stream()
                .filter(delegation.scopes()::contains)
                .toList();
        List<String> scopes;
        if (requestedScopes.isEmpty()) {
            if (available.isEmpty()) {
                return new GrantOutcome.InvalidScope("the subject token and the delegation have no scope in common");
            }
            scopes = available;
        } else {
            List<String> outside = requestedScopes.get().stream()
                    .filter(s -> !available.contains(s))
                    .toList();
            if (!outside.isEmpty()) {
                return new GrantOutcome.InvalidScope(
                        "not granted by both the subject token and the delegation: " + String.join(" ", outside));
            }
            scopes = requestedScopes.get();
        }
        // Issue 17: resources ⊆ the delegation's audiences — this hop's and every earlier one's, which the subject
        // token carries (its aud alone would not do: a hop that asked for no resource has the default audience).
        List<String> allowed = subjectToken
                .delegation()
                .map(d -> d.resources().stream()
                        .filter(delegation.audiences()::contains)
                        .toList())
                .orElse(delegation.audiences());
        for (String resource : resources) {
            if (!allowed.contains(resource) || !subject.resources().contains(resource)) {
                return new GrantOutcome.InvalidTarget("resource " + printable(resource)
                        + " is not among the audiences of every delegation of the chain");
            }
        }
        Instant now = codec.clock().instant();
        Instant expiresAt = now.plus(maxLifetime);
        if (subjectToken.expiresAt().isBefore(expiresAt)) {
            expiresAt = subjectToken.expiresAt();
        }
        if (delegation.expiresAt().isPresent() && delegation.expiresAt().get().isBefore(expiresAt)) {
            expiresAt = delegation.expiresAt().get();
        }
        // exp is whole seconds (RFC 7519 NumericDate), rounded down so it never passes what bounds it.
        expiresAt = Instant.ofEpochSecond(expiresAt.getEpochSecond());
        if (!expiresAt.isAfter(now)) {
            return new GrantOutcome.InvalidGrant("the subject token or the delegation expires within the second");
        }
        JsonObject act = new JsonObject().put("sub", actor.agentId().toString());
        subjectToken.delegation().ifPresent(d -> act.put("act", d.act()));
        List<String> ancestors = new ArrayList<>();
        ancestors.add(subjectToken.jti());
        List<String> used = new ArrayList<>();
        subjectToken.delegation().ifPresent(d -> {
            ancestors.addAll(d.ancestors());
            used.addAll(d.delegations());
        });
        used.add(delegation.delegationId().toString());
        AccessToken.Delegation carried = new AccessToken.Delegation(act, ancestors, used, maxDepth, allowed);
        AccessToken claims = codec.newDelegatedToken(
                subjectToken.subject(),
                actor.clientId(),
                scopes,
                // Never older than the subject token: its iat may be a cut-off up to a second ahead, and a derived
                // token issued before a chain actor's cut-off would be refused.
                latest(
                        latest(subject.tokensRevokedBefore(), actor.tokensRevokedBefore()),
                        Optional.of(subjectToken.issuedAt())),
                resources,
                expiresAt,
                carried);
        String jwt = codec.sign(claims);
        if (jwt.length() > TokenCodec.MAX_TOKEN_LENGTH) {
            return new GrantOutcome.InvalidTarget("the token for these resources would be longer than "
                    + TokenCodec.MAX_TOKEN_LENGTH + " characters; ask for fewer resources or scopes");
        }
        long expiresIn = Math.max(0, Duration.between(now, expiresAt).toSeconds());
        Map<String, Object> audit = new LinkedHashMap<>();
        audit.put("subject", subjectToken.subject());
        audit.put("subjectTokenJti", subjectToken.jti());
        audit.put("delegationId", delegation.delegationId().toString());
        audit.put("act", act);
        audit.put("ancestors", new JsonArray(ancestors));
        audit.put("delegations", new JsonArray(used));
        return new GrantOutcome.Issued(actor, new TokenCodec.Issued(jwt, claims, expiresIn), audit);
    }

    /**
     * The later cut-off: the token must stand after both the subject's and the actor's (either may be up to a second
     * ahead, {@link TokenCodec#newToken}).
     */
    private static Optional<Instant> latest(Optional<Instant> one, Optional<Instant> other) {
        if (one.isEmpty()) {
            return other;
        }
        return other.filter(o -> o.isAfter(one.get())).or(() -> one);
    }

    /** Empty: not asked; an empty list: malformed. */
    private static Optional<List<String>> requestedScopes(Optional<String> scope) {
        if (scope.isEmpty()) {
            return Optional.empty();
        }
        Set<String> unique = new LinkedHashSet<>();
        for (String token : scope.get().split(" ", -1)) {
            if (token.isEmpty() || !Scopes.wellFormed(token)) {
                return Optional.of(List.of());
            }
            unique.add(token);
        }
        return Optional.of(List.copyOf(unique));
    }

    private static Optional<GrantOutcome> invalidRequest(String description) {
        return Optional.of(new GrantOutcome.InvalidRequest(description));
    }

    private static String printable(String value) {
        String cut = value.length() > 80 ? value.substring(0, 80) + "..." : value;
        return cut.replaceAll("[^\\x21-\\x7E]", "?");
    }
}
