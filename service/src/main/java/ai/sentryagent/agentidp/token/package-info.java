/** Access tokens: claims, RS256 signing and verification, and the scope catalogue. */
package ai.sentryagent.agentidp.token;
