/** The tamper-evident audit trail: append-only, hash-chained events, their verification and retention. */
package ai.sentryagent.agentidp.audit;
