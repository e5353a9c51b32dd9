/**
 * Client credentials: several per agent for zero-downtime rotation, stored as keyed hashes only; and the
 * {@link ai.sentryagent.agentidp.credential.ClientDirectory}, the token side's change-notified view of clients.
 */
package ai.sentryagent.agentidp.credential;
