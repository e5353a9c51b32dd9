/** The AWS production environment of AgentIdP as a CDK v2 app: one stack composed of typed constructs. */
package ai.sentryagent.agentidp.infra.aws;
