package ai.sentryagent.agentidp.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The seed's feature switches and integrations. This build does not implement analytics, tier enforcement,
 * compliance reports, billing or Vault: switching one on stops startup with a message saying so, instead of
 * being silently ignored. Their companion variables, set without the switch, are accepted and reported as unused.
 */
final class Features {
    private Features() {}

    private static final List<String[]> SWITCHES = List.of(
            new String[] {"ANALYTICS_ENABLED", "usage analytics"},
            new String[] {"TIER_ENFORCEMENT", "plan tier enforcement"},
            new String[] {"COMPLIANCE_ENABLED", "compliance reporting"},
            new String[] {"BILLING_ENABLED", "billing (Stripe)"});

    private static final List<String> UNUSED_WITHOUT_SWITCH = List.of(
            "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "STRIPE_PRICE_ID",
            "VAULT_TOKEN",
            "VAULT_MOUNT",
            "VAULT_KV_MOUNT");

    /** Records a problem for every unimplemented feature switched on; returns notices for unused variables. */
    static List<String> check(Env env) {
        for (String[] feature : SWITCHES) {
            if (env.bool(feature[0], false)) {
                env.problem(feature[0] + "=true asks for " + feature[1] + ", which this build of AgentIdP does not"
                        + " implement; set it to false or unset it");
            }
        }
        if (env.optional("VAULT_ADDR").isPresent()) {
            env.problem("VAULT_ADDR is set, but this build reads its secrets from environment variables only (no"
                    + " Vault integration); unset VAULT_ADDR and inject the secrets as variables");
        }
        List<String> notices = new ArrayList<>();
        for (String name : UNUSED_WITHOUT_SWITCH) {
            if (env.optional(name).isPresent()) {
                notices.add(name + " is set but unused: its feature is not enabled in this build");
            }
        }
        return List.copyOf(notices);
    }
}
