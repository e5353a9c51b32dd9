package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.ClientCredential;
import ai.sentryagent.agentidp.token.OAuthException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads the client credential a request presents: {@code client_secret_basic} (RFC 6749 §2.3.1, both parts
 * form-urlencoded inside Basic), {@code client_secret_post}, or {@code private_key_jwt} ({@code client_assertion} of
 * type {@link ClientCredential.Assertion#TYPE}, RFC 7523 §2.2). Using two methods, or none, is an error (RFC 6749
 * §2.3: a client must not use more than one method per request). Neither part may hold a control character (see
 * {@link FormBody}).
 */
final class ClientCredentials {
    private ClientCredentials() {}

    /** The presented credential and where it came from, for {@link ClientAuthenticator}. */
    static ClientAuthenticator.Presented presented(RoutingContext rc, FormBody form) {
        return new ClientAuthenticator.Presented(
                from(rc, form),
                RequestContext.clientIp(rc),
                RequestContext.requestId(rc),
                RequestContext.routeTemplate(rc));
    }

    /**
     * The presented credential, or empty when the request carries none at all (no {@code Authorization} header, no
     * {@code client_id}, {@code client_secret} or {@code client_assertion}): for grants where client authentication
     * is optional (RFC 7523 §3.1). Anything presented is read as strictly as by {@link #presented}.
     */
    static Optional<ClientAuthenticator.Presented> presentedIfAny(RoutingContext rc, FormBody form) {
        boolean none = rc.request().getHeader(HttpHeaders.AUTHORIZATION) == null
                && !form.has("client_id")
                && !form.has("client_secret")
                && !form.has("client_assertion");
        return none ? Optional.empty() : Optional.of(presented(rc, form));
    }

    static ClientCredential from(RoutingContext rc, FormBody form) {
        String authorization = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (form.has("client_assertion") || form.has("client_assertion_type")) {
            return assertion(authorization, form);
        }
        boolean bodyCredentials = form.has("client_secret") || form.has("client_id");
        if (authorization != null) {
            if (bodyCredentials) {
                throw OAuthException.invalidRequest(
                        "use one client authentication method: HTTP Basic or client_id and client_secret in the"
                                + " body, not both");
            }
            return basic(authorization);
        }
        if (form.has("client_secret")) {
            String clientId = form.require("client_id");
            String secret = form.require("client_secret");
            return new ClientCredential.Secret(clientId, secret, false);
        }
        throw OAuthException.invalidClient(
                "client authentication is required (HTTP Basic, client_id and client_secret, or client_assertion)",
                true);
    }

    private static ClientCredential assertion(String authorization, FormBody form) {
        if (authorization != null || form.has("client_secret")) {
            throw OAuthException.invalidRequest(
                    "use one client authentication method: a client_assertion or a client secret, not both");
        }
        String type = form.require("client_assertion_type");
        if (!type.equals(ClientCredential.Assertion.TYPE)) {
            throw OAuthException.invalidRequest("client_assertion_type must be " + ClientCredential.Assertion.TYPE);
        }
        return ClientCredential.Assertion.of(form.require("client_assertion"), form.get("client_id"));
    }

    private static ClientCredential basic(String header) {
        int space = header.indexOf(' ');
        String scheme = space < 0 ? header : header.substring(0, space);
        if (!scheme.toLowerCase(Locale.ROOT).equals("basic")) {
            throw OAuthException.invalidRequest("only HTTP Basic client authentication is accepted here");
        }
        try {
            String decoded = new String(
                    Base64.getDecoder().decode(header.substring(space + 1).trim()), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            if (colon <= 0) {
                throw OAuthException.invalidRequest("the Basic credentials must be client_id:client_secret");
            }
            String clientId = URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8);
            String secret = URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8);
            if (secret.isEmpty()) {
                throw OAuthException.invalidRequest("the Basic credentials have an empty client_secret");
            }
            if (FormBody.hasControlCharacter(clientId)) {
                throw OAuthException.invalidRequest("the Basic client_id contains a control character");
            }
            if (FormBody.hasControlCharacter(secret)) {
                throw OAuthException.invalidRequest("the Basic client_secret contains a control character");
            }
            return new ClientCredential.Secret(clientId, secret, true);
        } catch (IllegalArgumentException | StringIndexOutOfBoundsException e) {
            throw OAuthException.invalidRequest("the Authorization header is not valid HTTP Basic");
        }
    }
}
