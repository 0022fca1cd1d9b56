package dev.converge.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The rules of the house, checked on every module's production classes (the CLI has them all on its path). */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importAll() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.converge");
    }

    @Test
    void modulesFormNoCycles() {
        slices().matching("dev.converge.(*)..").should().beFreeOfCycles()
                .because("contracts -> model, registry -> store -> train / serve -> bench -> cli is the order"
                        + " things are built and understood in; a cycle would make every module depend on every other")
                .check(classes);
    }

    @Test
    void implPackagesAreInternalToTheirModule() {
        for (String module : new String[] {"serve", "store", "train", "model", "registry"}) {
            noClasses().that().resideOutsideOfPackage("dev.converge." + module + "..")
                    .should().dependOnClassesThat().resideInAPackage("dev.converge." + module + ".impl..")
                    .because("an impl package may change with its module; other modules use the public contract"
                            + " in the module's root package")
                    .allowEmptyShould(true)
                    .check(classes);
        }
    }

    @Test
    void servingNeverReachesTrainingOrMigrations() {
        noClasses().that().resideInAPackage("dev.converge.serve..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.converge.train..", "dev.converge.store..",
                        "water..", "hex.tree..", "hex.glm..", "ai.h2o.automl..", "org.flywaydb..", "io.zonky..")
                .because("a serving replica scores MOJOs with h2o-genmodel and reads the registry; it never trains,"
                        + " migrates or starts a database (the Maven Enforcer keeps those jars out of its tree)")
                .check(classes);
    }

    @Test
    void onlyTheModelModuleTalksToGenmodel() {
        noClasses().that().resideOutsideOfPackage("dev.converge.model..")
                .should().dependOnClassesThat().resideInAPackage("hex.genmodel..")
                .because("loading, scoring, parity and latency of a MOJO are written once, in the model module,"
                        + " so training's gate, serving and the benchmarks cannot disagree")
                .check(classes);
    }

    /** Classes that use Vert.x Web (a Router, a RoutingContext, a handler): the HTTP layer, whatever their name. */
    private static final DescribedPredicate<JavaClass> USE_VERTX_WEB = DescribedPredicate.describe("use Vert.x Web",
            c -> c.getDirectDependenciesFromSelf().stream()
                    .anyMatch(d -> d.getTargetClass().getPackageName().startsWith("io.vertx.ext.web")));

    @Test
    void theServersCapabilitiesFormNoCycles() {
        slices().matching("dev.converge.serve.(*)..").should().beFreeOfCycles()
                .because("each capability of the server is one package (docs/architecture.md); the composition root"
                        + " (dev.converge.serve itself) may use them all, but a capability that depends on one that"
                        + " depends back on it is one capability in two places")
                .check(classes);
    }

    @Test
    void theHttpLayerDoesNotTouchSqlOrRedis() {
        // Selected by what a class uses, not by its name: a class named anything that handles routes and also runs
        // SQL (Feedback and Dashboard once did, and passed a rule that matched names ending in Routes) fails here.
        noClasses().that().resideInAPackage("dev.converge.serve..").and().resideOutsideOfPackage("dev.converge.serve")
                .and(USE_VERTX_WEB)
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx.sqlclient..", "io.vertx.pgclient..",
                        "java.sql..", "javax.sql..", "io.vertx.redis..")
                .because("the HTTP layer only speaks HTTP; features, caching and scoring are the prediction"
                        + " service's stages, and each capability keeps its SQL in a class of its own")
                .check(classes);
    }

    @Test
    void onlyTheCacheTouchesRedis() {
        noClasses().that().resideInAPackage("dev.converge.serve..").and()
                .resideOutsideOfPackage("dev.converge.serve.cache..")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx.redis..")
                .because("Redis is the prediction cache's store: one client, behind its breaker, built by CacheTier")
                .check(classes);
    }

    @Test
    void thePredictionPathIsTransportIndependent() {
        noClasses().that().resideInAnyPackage("dev.converge.serve.predict..", "dev.converge.serve.path..",
                        "dev.converge.serve.scoring..")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx.ext.web..", "io.vertx.core.http..",
                        "dev.converge.serve.http..")
                .because("REST, GraphQL and anything after them call the same prediction path")
                .check(classes);
    }

    @Test
    void theBenchmarksDoNotKnowTheCli() {
        noClasses().that().resideInAPackage("dev.converge.bench..")
                .should().dependOnClassesThat().resideInAPackage("dev.converge.cli..")
                .because("the CLI runs the benchmarks and hands them what to start; the reverse would be a cycle")
                .check(classes);
    }
}
