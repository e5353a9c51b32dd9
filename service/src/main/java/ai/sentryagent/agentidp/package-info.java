/** AgentIdP: an identity provider for software agents. {@link ai.sentryagent.agentidp.AgentIdp}, the main
 * verticle, wires one instance and deploys the HTTP verticles and the {@link ai.sentryagent.agentidp.MaintenanceVerticle}. */
package ai.sentryagent.agentidp;
