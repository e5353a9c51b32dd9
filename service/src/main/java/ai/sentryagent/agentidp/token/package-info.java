/**
 * Access tokens and the grants that issue them: client authentication and each grant answer sealed outcomes
 * ({@link ai.sentryagent.agentidp.token.ClientAuthentication}, {@link ai.sentryagent.agentidp.token.GrantOutcome}); a
 * new grant implements {@link ai.sentryagent.agentidp.token.Grant}. Also claims, signing, revocation and scopes, and
 * the delegation grants that token exchange (RFC 8693) rests on ({@link ai.sentryagent.agentidp.token.Delegation}).
 */
package ai.sentryagent.agentidp.token;
