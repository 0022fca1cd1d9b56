package dev.converge.contracts;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

class ContractsArchitectureTest {
    @Test
    void contractsDependOnTheJdkAlone() {
        noClasses().that().resideInAPackage("dev.converge.contracts..")
                .should().dependOnClassesThat().resideOutsideOfPackages("java..", "dev.converge.contracts..")
                .because("ingestion, training and serving share these contracts, and none of them may drag"
                        + " its framework into the others")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("dev.converge.contracts"));
    }
}
