/** Structured logging: one JSON object per line on stdout. */
package ai.sentryagent.agentidp.logging;
