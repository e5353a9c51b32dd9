/** The configuration contract: environment variables read once into a validated, typed record. */
package ai.sentryagent.agentidp.config;
