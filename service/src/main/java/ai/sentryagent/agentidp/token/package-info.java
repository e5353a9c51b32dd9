/**
 * Access tokens and the grants that issue them: client authentication and each grant answer sealed outcomes
 * ({@link ai.sentryagent.agentidp.token.ClientAuthentication}, {@link ai.sentryagent.agentidp.token.GrantOutcome}); a
 * new grant implements {@link ai.sentryagent.agentidp.token.Grant}. Also claims, signing, revocation and scopes.
 */
package ai.sentryagent.agentidp.token;
