/** The GCP production environment of AgentIdP as a Pulumi Java program, built from component resources. */
package ai.sentryagent.agentidp.infra.gcp;
