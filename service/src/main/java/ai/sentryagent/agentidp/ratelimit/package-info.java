/** Rate limiting of the token endpoint: Redis fixed windows with an in-process fallback. */
package ai.sentryagent.agentidp.ratelimit;
