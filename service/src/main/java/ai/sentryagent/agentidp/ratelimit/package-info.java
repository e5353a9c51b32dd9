/**
 * Limits of the OAuth endpoints' client authentication and token requests: Redis fixed windows, one Lua script per
 * request, with a bounded in-process fallback while Redis is unreachable.
 */
package ai.sentryagent.agentidp.ratelimit;
