package ai.sentryagent.agentidp.federation;

import ai.sentryagent.agentidp.audit.Audit;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The trust policies, for their management API; every change is audited in its own transaction. The jwt-bearer grant
 * reads them through {@link TrustPolicyDirectory}.
 */
public interface TrustPolicyStore {
    /** Stores a new policy ({@code trust_policy.created}). */
    Future<TrustPolicy> create(TrustPolicy policy, Audit.Context context);

    Future<List<TrustPolicy>> list();

    Future<Optional<TrustPolicy>> find(UUID trustPolicyId);

    /** Deletes the policy ({@code trust_policy.deleted}); false when there was none. */
    Future<Boolean> delete(UUID trustPolicyId, Audit.Context context);
}
