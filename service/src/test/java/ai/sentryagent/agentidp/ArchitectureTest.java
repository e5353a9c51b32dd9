package ai.sentryagent.agentidp;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The layering the house style promises, checked on the compiled classes. */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void load() {
        // The compiled main classes only: scanning every jar on the test classpath for the package took seconds.
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPath(Path.of("target", "classes"));
    }

    @Test
    void onlyTheCommandLineReadsTheEnvironment() {
        noClasses()
                .that()
                .resideOutsideOfPackage("..cli..")
                .should()
                .callMethod(System.class, "getenv")
                .orShould()
                .callMethod(System.class, "getenv", String.class)
                .because("configuration is read once into AppConfig and handed down")
                .check(classes);
    }

    @Test
    void domainAndStoresDoNotDependOnTheHttpLayer() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "..agent..",
                        "..credential..",
                        "..token..",
                        "..audit..",
                        "..policy..",
                        "..store..",
                        "..crypto..",
                        "..config..",
                        "..ratelimit..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("..http..", "..cli..")
                .check(classes);
    }

    @Test
    void theServiceNeverWritesToStandardOutputOutsideTheCommandLine() {
        noClasses()
                .that()
                .resideOutsideOfPackage("..cli..")
                .should()
                .accessField(System.class, "out")
                .because("logs go through SLF4J as JSON; only CLI commands print for people")
                .check(classes);
    }

    /**
     * A package cycle means neither side can be read, tested or replaced without the other (issue 15: agent and
     * audit used to need each other); every package depends one way.
     */
    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("ai.sentryagent.agentidp.(*)..")
                .should()
                .beFreeOfCycles()
                .check(classes);
    }
}
