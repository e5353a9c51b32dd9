package ai.sentryagent.agentidp.federation;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.jwk.JWKSet;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.text.ParseException;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@link TrustPolicyStore} on PostgreSQL (migration V8). Every write drops its issuer from the
 * {@link TrustPolicyDirectory} once it has completed, before its caller goes on (V11's trigger tells the other tasks).
 * The parse of an inline JWK set is remembered by its text, so that a policy read again does not parse the same keys
 * again — and its verifiers, held per key instance ({@code crypto/JwsVerifiers}), are built once.
 */
public final class PgTrustPolicyStore implements TrustPolicyStore {
    private static final String COLUMNS = "trust_policy_id, name, issuer, jwks_uri, jwks, audience, subject, claims,"
            + " agent_id, scopes, created_at";
    /**
     * Per jwt-bearer request the directory does not answer from memory; the JWK set as its text — the inline-keys
     * cache's key — not decoded and re-encoded.
     */
    private static final String FOR_ISSUER =
            "SELECT " + COLUMNS.replace(" jwks,", " jwks::text AS jwks,") + " FROM trust_policies WHERE issuer = $1";

    /** Inline JWK sets by their stored text; the text is the key, so a changed set is a different entry. */
    private static final Cache<String, JWKSet> INLINE_KEYS =
            Caffeine.newBuilder().maximumSize(1024).build();

    private final Pool pool;
    private final Audit audit;
    private final TrustPolicyDirectory directory;

    public PgTrustPolicyStore(Pool pool, Audit audit, TrustPolicyDirectory directory) {
        this.pool = pool;
        this.audit = audit;
        this.directory = directory;
    }

    @Override
    public Future<TrustPolicy> create(TrustPolicy policy, Audit.Context context) {
        String jwksUri = policy.keys() instanceof TrustPolicy.KeySource.Uri uri ? uri.uri() : null;
        JsonObject jwks = policy.keys() instanceof TrustPolicy.KeySource.Inline inline
                ? new JsonObject(inline.keys().toJSONObject(true))
                : null;
        return pool.withTransaction(tx -> tx.preparedQuery("INSERT INTO trust_policies (" + COLUMNS
                                + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                        .execute(Tuple.from(new Object[] {
                            policy.trustPolicyId(),
                            policy.name(),
                            policy.issuer(),
                            jwksUri,
                            jwks,
                            policy.audience(),
                            policy.subject().orElse(null),
                            policy.claims(),
                            policy.agentId(),
                            policy.scopes().toArray(String[]::new),
                            policy.createdAt().atOffset(ZoneOffset.UTC)
                        }))
                        .compose(inserted -> audit.append(
                                tx,
                                AuditEvent.of(
                                        "trust_policy.created",
                                        AuditEvent.SUCCESS,
                                        policy.agentId(),
                                        context,
                                        new JsonObject()
                                                .put(
                                                        "trustPolicyId",
                                                        policy.trustPolicyId().toString())
                                                .put("name", policy.name())
                                                .put("issuer", policy.issuer())
                                                .put("audience", policy.audience())
                                                .put("subject", policy.subject().orElse(null))
                                                .put("claims", policy.claims())
                                                .put("scopes", String.join(" ", policy.scopes())))))
                        .map(policy))
                // Its issuer may be remembered as having no policy: the policy is usable from the next request.
                .andThen(done -> directory.changed(policy.issuer()));
    }

    @Override
    public Future<List<TrustPolicy>> list() {
        return pool.query("SELECT " + COLUMNS + " FROM trust_policies ORDER BY created_at, trust_policy_id")
                .execute()
                .map(PgTrustPolicyStore::policies);
    }

    @Override
    public Future<Optional<TrustPolicy>> find(UUID trustPolicyId) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM trust_policies WHERE trust_policy_id = $1")
                .execute(Tuple.of(trustPolicyId))
                .map(rows -> policies(rows).stream().findFirst());
    }

    @Override
    public Future<Boolean> delete(UUID trustPolicyId, Audit.Context context) {
        AtomicReference<String> issuer = new AtomicReference<>();
        return pool.withTransaction(tx -> tx.preparedQuery(
                                "DELETE FROM trust_policies WHERE trust_policy_id = $1 RETURNING agent_id, name, issuer")
                        .execute(Tuple.of(trustPolicyId))
                        .compose(rows -> {
                            if (rows.size() == 0) {
                                return Future.succeededFuture(false);
                            }
                            Row row = rows.iterator().next();
                            issuer.set(row.getString("issuer"));
                            return audit.append(
                                            tx,
                                            AuditEvent.of(
                                                    "trust_policy.deleted",
                                                    AuditEvent.SUCCESS,
                                                    row.getUUID("agent_id"),
                                                    context,
                                                    new JsonObject()
                                                            .put("trustPolicyId", trustPolicyId.toString())
                                                            .put("name", row.getString("name"))
                                                            .put("issuer", row.getString("issuer"))))
                                    .map(true);
                        }))
                // Before the caller answers: the deleting task refuses the policy from its next request. A failure
                // (say, at commit) may have deleted it all the same: its issuer goes too, or every issuer when the
                // failure came before the row was read.
                .andThen(done -> {
                    if (issuer.get() != null) {
                        directory.changed(issuer.get());
                    } else if (done.failed()) {
                        directory.changed("*");
                    }
                });
    }

    /** Every policy naming exactly this issuer, read now ({@link TrustPolicyDirectory}'s database side). */
    static Future<List<TrustPolicy>> forIssuer(Pool pool, String issuer) {
        return pool.preparedQuery(FOR_ISSUER).execute(Tuple.of(issuer)).map(PgTrustPolicyStore::policies);
    }

    private static List<TrustPolicy> policies(RowSet<Row> rows) {
        List<TrustPolicy> policies = new ArrayList<>();
        rows.forEach(row -> policies.add(policy(row)));
        return policies;
    }

    private static TrustPolicy policy(Row row) {
        String issuer = row.getString("issuer");
        String jwksUri = row.getString("jwks_uri");
        Object jwks = row.getValue("jwks");
        TrustPolicy.KeySource keys;
        if (jwks != null) {
            keys = new TrustPolicy.KeySource.Inline(INLINE_KEYS.get(String.valueOf(jwks), text -> {
                try {
                    return IssuerKeys.publicKeys(text);
                } catch (ParseException e) {
                    throw new IllegalStateException("stored trust policy has an unreadable jwks", e);
                }
            }));
        } else if (jwksUri != null) {
            keys = new TrustPolicy.KeySource.Uri(jwksUri);
        } else {
            keys = new TrustPolicy.KeySource.Discovery(issuer);
        }
        Object claims = row.getValue("claims");
        String[] scopes = row.getArrayOfStrings("scopes");
        return new TrustPolicy(
                row.getUUID("trust_policy_id"),
                row.getString("name"),
                issuer,
                keys,
                row.getString("audience"),
                Optional.ofNullable(row.getString("subject")),
                claims instanceof JsonObject object ? object : new JsonObject(String.valueOf(claims)),
                row.getUUID("agent_id"),
                scopes == null ? List.of() : Arrays.asList(scopes),
                row.getOffsetDateTime("created_at").toInstant());
    }
}
