/** AgentIdP: an identity provider for software agents. {@link ai.sentryagent.agentidp.AgentIdp} wires one instance. */
package ai.sentryagent.agentidp;
