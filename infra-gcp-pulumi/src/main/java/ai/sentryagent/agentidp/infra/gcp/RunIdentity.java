package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.core.Output;
import com.pulumi.gcp.serviceaccount.Account;
import com.pulumi.gcp.serviceaccount.AccountArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.List;
import java.util.Map;

/**
 * A dedicated service account: one for the Cloud Run service, another for the migrate job. Neither has a
 * project-wide role that reads anything: each gets {@code secretAccessor} on its own secrets only ({@link Secrets});
 * Cloud SQL and Memorystore are reached over the private network with credentials, not IAM.
 */
public final class RunIdentity extends ComponentResource {
    private final Account account;

    public RunIdentity(String name, GcpConfig config, String accountId, String purpose, List<Resource> apis) {
        super(
                "agentidp:gcp:RunIdentity",
                name,
                ComponentResourceOptions.builder().build());
        this.account = new Account(
                name + "-sa",
                AccountArgs.builder()
                        .accountId(accountId)
                        .project(config.project())
                        .displayName("AgentIdP " + config.stack() + " (" + purpose + ")")
                        .description("AgentIdP " + purpose + "; reads only its own secrets")
                        .build(),
                CustomResourceOptions.builder().parent(this).dependsOn(apis).build());
        registerOutputs(Map.of("email", account.email()));
    }

    public Output<String> email() {
        return account.email();
    }

    public Account account() {
        return account;
    }
}
