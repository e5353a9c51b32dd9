/**
 * The one error model: {@link ai.sentryagent.agentidp.error.ApiError}, a closed set of what can go wrong for a
 * client, and {@link ai.sentryagent.agentidp.error.ApiFailure}, the exception that carries one through a
 * {@code Future} or {@code rc.fail}. The HTTP layer renders it in the endpoint's format.
 */
package ai.sentryagent.agentidp.error;
