/** The agent registry: agents, their life cycle, and where they are stored. */
package ai.sentryagent.agentidp.agent;
