/** Client credentials: several per agent for zero-downtime rotation, stored as keyed hashes only. */
package ai.sentryagent.agentidp.credential;
