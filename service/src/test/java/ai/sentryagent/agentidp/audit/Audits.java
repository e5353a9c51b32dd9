package ai.sentryagent.agentidp.audit;

import ai.sentryagent.agentidp.config.AuditWrites;
import ai.sentryagent.agentidp.crypto.JwsSigner;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Clock;
import java.util.List;

/** A {@link PgAudit} wired as production wires it, for tests that drive the audit trail without HTTP. */
final class Audits {
    private Audits() {}

    static PgAudit create(Vertx vertx, Pool pool, Metrics metrics) {
        return create(vertx, pool, metrics, AuditWrites.DEFAULT);
    }

    static PgAudit create(Vertx vertx, Pool pool, Metrics metrics, AuditWrites writes) {
        KeyPair pair = RunningIdp.keys();
        SigningKeys keys = SigningKeys.of(pair.getPrivate(), pair.getPublic(), List.of());
        return new PgAudit(
                vertx,
                pool,
                metrics,
                new AuditChain(RunningIdp.AUDIT_CHAIN_KEY.getBytes(StandardCharsets.UTF_8)),
                new HeadSigner(JwsSigner.create(keys), keys.current().kid(), RunningIdp.ISSUER, Clock.systemUTC()),
                writes);
    }
}
