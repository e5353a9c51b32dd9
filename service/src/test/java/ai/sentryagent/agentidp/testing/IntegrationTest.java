package ai.sentryagent.agentidp.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A test class that needs the real servers — PostgreSQL, Redis, Kafka, OPA or the whole application
 * ({@link TestServers}, {@link RunningIdp}). Such classes run in the integration tier (failsafe, {@code ./mvnw
 * verify}), not in the unit tier ({@code ./mvnw test}), which stays fast and needs no server at all. The unit tier
 * refuses an unmarked class that reaches for the servers ({@link TestServers#get()}), so a missing annotation
 * fails loudly instead of slowing the fast tier down.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(IntegrationTest.TAG)
public @interface IntegrationTest {
    /** The JUnit tag the build selects the tiers by (service/pom.xml: surefire excludes it, failsafe includes it). */
    String TAG = "integration";
}
