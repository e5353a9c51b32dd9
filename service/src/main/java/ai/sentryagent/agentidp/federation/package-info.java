/**
 * Workload identity federation (RFC 7523 §2.1, issue 16 §2): the trust policies that say which external identity
 * tokens stand for which agent, and the issuer keys those tokens are checked with, fetched without ever blocking the
 * event loop.
 */
package ai.sentryagent.agentidp.federation;
