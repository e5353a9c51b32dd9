/** The local development environment: embedded PostgreSQL and Redis with persistent data. */
package ai.sentryagent.agentidp.dev;
