/**
 * The committed audit trail streamed to Kafka: the audit table is the outbox, one relay across all tasks publishes it
 * in chain order (leadership by a PostgreSQL session advisory lock), and a consumer can verify the chain from the
 * topic alone.
 */
package ai.sentryagent.agentidp.audit.stream;
