/** Metrics, request ids and the access log. */
package ai.sentryagent.agentidp.observability;
