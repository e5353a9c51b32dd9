/**
 * Key material: PKCS#8/X.509 PEM through the JDK, the signing key set with RFC 7638 key ids and the JWS signer on the
 * fastest JCA provider (both through Nimbus JOSE+JWT), and the keyed hash of client secrets.
 */
package ai.sentryagent.agentidp.crypto;
