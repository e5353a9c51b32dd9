package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.credential.ClientRecord;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * What a grant (RFC 6749 §4) came to: a token, or the RFC 6749 §5.2 error to answer. The token endpoint maps it with
 * {@link #fold} — Java 17's exhaustive switch: a new alternative does not compile until every handler answers it.
 */
public sealed interface GrantOutcome
        permits GrantOutcome.Issued,
                GrantOutcome.InvalidScope,
                GrantOutcome.InvalidRequest,
                GrantOutcome.InvalidTarget,
                GrantOutcome.InvalidGrant,
                GrantOutcome.UnauthorizedClient,
                ClientAuthentication.Refused {

    <R> R fold(
            Function<Issued, R> issued,
            Function<InvalidScope, R> invalidScope,
            Function<InvalidRequest, R> invalidRequest,
            Function<InvalidTarget, R> invalidTarget,
            Function<InvalidGrant, R> invalidGrant,
            Function<UnauthorizedClient, R> unauthorizedClient,
            Function<ClientAuthentication.Refused, R> refused);

    /**
     * A signed access token for {@code client}; {@code auditDetails} are what the grant adds to the
     * {@code token.issued} event (the jwt-bearer grant: the external issuer, subject, jti and the trust policy).
     */
    record Issued(ClientRecord client, TokenCodec.Issued token, Map<String, Object> auditDetails)
            implements GrantOutcome {
        public Issued {
            auditDetails = Collections.unmodifiableMap(new LinkedHashMap<>(auditDetails));
        }

        public Issued(ClientRecord client, TokenCodec.Issued token) {
            this(client, token, Map.of());
        }

        @Override
        public <R> R fold(
                Function<Issued, R> issued,
                Function<InvalidScope, R> invalidScope,
                Function<InvalidRequest, R> invalidRequest,
                Function<InvalidTarget, R> invalidTarget,
                Function<InvalidGrant, R> invalidGrant,
                Function<UnauthorizedClient, R> unauthorizedClient,
                Function<ClientAuthentication.Refused, R> refused) {
            return issued.apply(this);
        }
    }

    /** RFC 6749 §5.2 {@code invalid_scope}; {@code description} is ASCII and tells the client what to fix. */
    record InvalidScope(String description) implements GrantOutcome {
        @Override
        public <R> R fold(
                Function<Issued, R> issued,
                Function<InvalidScope, R> invalidScope,
                Function<InvalidRequest, R> invalidRequest,
                Function<InvalidTarget, R> invalidTarget,
                Function<InvalidGrant, R> invalidGrant,
                Function<UnauthorizedClient, R> unauthorizedClient,
                Function<ClientAuthentication.Refused, R> refused) {
            return invalidScope.apply(this);
        }
    }

    /** RFC 6749 §5.2 {@code invalid_request}: a parameter the grant needs is missing or malformed. */
    record InvalidRequest(String description) implements GrantOutcome {
        @Override
        public <R> R fold(
                Function<Issued, R> issued,
                Function<InvalidScope, R> invalidScope,
                Function<InvalidRequest, R> invalidRequest,
                Function<InvalidTarget, R> invalidTarget,
                Function<InvalidGrant, R> invalidGrant,
                Function<UnauthorizedClient, R> unauthorizedClient,
                Function<ClientAuthentication.Refused, R> refused) {
            return invalidRequest.apply(this);
        }
    }

    /**
     * RFC 8707 §2 {@code invalid_target}: a {@code resource} that is not an absolute URI without a fragment, or not
     * one of the agent's, or a token that would be too long; {@code description} is ASCII and names it;
     * {@code auditDetails} go with it into the {@code token.grant_rejected} event (a jwt-bearer grant's assertion
     * claims, when its {@code jti} was already spent).
     */
    record InvalidTarget(String description, Map<String, Object> auditDetails) implements GrantOutcome {
        public InvalidTarget(String description) {
            this(description, Map.of());
        }

        @Override
        public <R> R fold(
                Function<Issued, R> issued,
                Function<InvalidScope, R> invalidScope,
                Function<InvalidRequest, R> invalidRequest,
                Function<InvalidTarget, R> invalidTarget,
                Function<InvalidGrant, R> invalidGrant,
                Function<UnauthorizedClient, R> unauthorizedClient,
                Function<ClientAuthentication.Refused, R> refused) {
            return invalidTarget.apply(this);
        }
    }

    /**
     * RFC 6749 §5.2 {@code invalid_grant}: the grant itself (here a jwt-bearer assertion, RFC 7523 §3.1) is not
     * acceptable; {@code description} is ASCII, says which check failed and holds no key material;
     * {@code auditDetails} go with it into the {@code token.grant_rejected} event.
     */
    record InvalidGrant(String description, Map<String, Object> auditDetails) implements GrantOutcome {
        public InvalidGrant {
            auditDetails = Collections.unmodifiableMap(new LinkedHashMap<>(auditDetails));
        }

        public InvalidGrant(String description) {
            this(description, Map.of());
        }

        @Override
        public <R> R fold(
                Function<Issued, R> issued,
                Function<InvalidScope, R> invalidScope,
                Function<InvalidRequest, R> invalidRequest,
                Function<InvalidTarget, R> invalidTarget,
                Function<InvalidGrant, R> invalidGrant,
                Function<UnauthorizedClient, R> unauthorizedClient,
                Function<ClientAuthentication.Refused, R> refused) {
            return invalidGrant.apply(this);
        }
    }

    /**
     * RFC 6749 §5.2 {@code unauthorized_client}: the authenticated client may not use this grant type (token
     * exchange: it holds no live delegation at all); {@code description} is ASCII.
     */
    record UnauthorizedClient(String description) implements GrantOutcome {
        @Override
        public <R> R fold(
                Function<Issued, R> issued,
                Function<InvalidScope, R> invalidScope,
                Function<InvalidRequest, R> invalidRequest,
                Function<InvalidTarget, R> invalidTarget,
                Function<InvalidGrant, R> invalidGrant,
                Function<UnauthorizedClient, R> unauthorizedClient,
                Function<ClientAuthentication.Refused, R> refused) {
            return unauthorizedClient.apply(this);
        }
    }
}
