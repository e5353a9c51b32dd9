#!/usr/bin/env python3
"""Where a path's CPU goes, from `jfr print --stack-depth 96 --events jdk.ExecutionSample` (bench/paths.sh with
PATHS_PROFILE=1): the share of samples whose stack contains each marker frame (inclusive), and the top self frames.
Usage: bench/frames.py <file.jfr.txt> [marker ...]"""
import collections
import re
import sys

MARKERS = [
    "com.nimbusds.jose.crypto.ECDSAVerifier.verify", "com.nimbusds.jose.crypto.RSASSAVerifier.verify",
    "com.nimbusds.jwt.SignedJWT.parse", "com.nimbusds.jwt.JWTParser.parse", "com.nimbusds.jwt.SignedJWT.getJWTClaimsSet",
    "com.nimbusds.jose.JWSObject.getPayload", "com.nimbusds.jose.Payload.toJSONObject",
    "ai.sentryagent.agentidp.crypto.JwsSigner.sign", "ai.sentryagent.agentidp.token.TokenCodec",
    "ai.sentryagent.agentidp.token.ClientAssertions.check", "ai.sentryagent.agentidp.token.AssertionReplay",
    "ai.sentryagent.agentidp.federation.PgTrustPolicyStore", "ai.sentryagent.agentidp.federation.IssuerKeys.publicKeys",
    "ai.sentryagent.agentidp.ratelimit", "ai.sentryagent.agentidp.crypto.CredentialHasher",
    "ai.sentryagent.agentidp.http.FormBody", "ai.sentryagent.agentidp.audit", "io.vertx.pgclient", "io.vertx.redis",
    "ch.qos.logback", "io.micrometer", "com.fasterxml.jackson", "java.security.MessageDigest",
    "sun.security.ec", "com.amazon.corretto",
]
text = open(sys.argv[1]).read()
markers = sys.argv[2:] or MARKERS
inclusive = collections.Counter()
self_frames = collections.Counter()
total = 0
for event in text.split("jdk.ExecutionSample")[1:]:
    frames = re.findall(r"^\s+([\w$.<>/]+)\(", event, re.M)
    if not frames:
        continue
    total += 1
    self_frames[frames[0]] += 1
    for marker in markers:
        if any(f.startswith(marker) for f in frames):
            inclusive[marker] += 1
print(f"{total} samples")
for marker in markers:
    if inclusive[marker]:
        print(f"  {inclusive[marker] / total:6.1%}  {marker}")
print("top self frames:")
for frame, n in self_frames.most_common(15):
    print(f"  {n / total:6.1%}  {frame}")
