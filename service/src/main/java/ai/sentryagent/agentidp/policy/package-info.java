/** Authorization: the policy files, their loader, and the engine that decides (locally or through OPA). */
package ai.sentryagent.agentidp.policy;
