/** Key material: PEM parsing, the signing key set with RFC 7638 key ids, and the keyed hash of client secrets. */
package ai.sentryagent.agentidp.crypto;
