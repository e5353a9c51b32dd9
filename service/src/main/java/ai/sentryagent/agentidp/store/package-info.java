/** PostgreSQL and Redis: clients built from configuration, and the stores that use them. */
package ai.sentryagent.agentidp.store;
