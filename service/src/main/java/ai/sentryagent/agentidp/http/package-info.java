/** The HTTP surface: the router, its handlers and the single error shape. */
package ai.sentryagent.agentidp.http;
