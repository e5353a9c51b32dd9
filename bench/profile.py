#!/usr/bin/env python3
"""Where the IdP's CPU goes: JFR samples (`jfr print` of jdk.ExecutionSample and jdk.NativeMethodSample) sorted
into buckets by their innermost recognisable frame. Idle event-loop waits are left out. Prints JSON."""
import collections
import json
import re
import sys

BUCKETS = [  # first match from the innermost frame outwards
    ("socket and stdout writes (system calls)", ("sun.nio.ch.FileDispatcherImpl.", "sun.nio.ch.IOUtil.",
                                                 "java.io.FileOutputStream.write")),
    ("signature (native AWS-LC)", ("com.amazon.corretto.", "org.conscrypt.", "sun.security.rsa.", "sun.security.ec.")),
    ("SHA-256 / HMAC (secret hash, audit chain)", ("sun.security.provider.SHA", "com.sun.crypto.provider.HmacCore")),
    ("random (jti, ids)", ("sun.security.provider.NativePRNG", "sun.security.provider.SecureRandom",
                           "java.security.SecureRandom", "java.util.UUID.randomUUID")),
    ("logging", ("ch.qos.logback.", "ai.sentryagent.agentidp.logging.")),
    ("metrics", ("io.micrometer.",)),
    ("JSON", ("com.fasterxml.jackson.", "io.vertx.core.json.")),
    ("PostgreSQL client", ("io.vertx.pgclient.", "io.vertx.sqlclient.")),
    ("Redis client", ("io.vertx.redis.",)),
    ("audit trail", ("ai.sentryagent.agentidp.audit.",)),
    ("token endpoint and other AgentIdP code", ("ai.sentryagent.agentidp.",)),
    ("HTTP server and routing (Vert.x, Netty)", ("io.vertx.", "io.netty.")),
]
IDLE = ("EPoll.wait", "epollWait", "Native.epollWait", "Unsafe.park", "Object.wait", "Thread.sleep", "SelectorImpl.select",
        "EPollSelectorImpl.doSelect", "socketAccept", "ServerSocketChannelImpl.accept")


def samples(path):
    text = open(path).read()
    for event in text.split("\njdk.")[1:]:
        frames = re.findall(r"^\s+([\w$.<>/]+\.[\w$<>]+)\(", event, re.M)
        if frames:
            yield frames


counts = collections.Counter()
for path in sys.argv[1:]:
    for frames in samples(path):
        if any(idle in frames[0] for idle in IDLE):
            continue
        bucket = "JVM and JDK (other)"
        for frame in frames:
            match = next((name for name, prefixes in BUCKETS if frame.startswith(prefixes)), None)
            if match:
                bucket = match
                break
        counts[bucket] += 1
total = sum(counts.values())
print(json.dumps({"kind": "profile", "samples": total,
                  "buckets": [{"bucket": b, "share": c / total} for b, c in counts.most_common()]}))
