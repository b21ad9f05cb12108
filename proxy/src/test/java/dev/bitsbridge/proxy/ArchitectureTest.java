package dev.bitsbridge.proxy;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package layering docs/architecture.md describes, checked on the compiled classes: each
 * layer uses only the layers below it, and no two packages reach each other. A new import that
 * breaks it fails the build with the offending classes named.
 *
 * <pre>
 *   server                                   wiring and the pipeline
 *   links, vending, share, upload, observe,  features
 *   startup
 *   download                                 the object download path
 *   cache                                    the shared disk cache (slices, fills, collapsing)
 *   endpoint                                 what features plug into
 *   s3                                       S3 addressing, signing, calls
 *   upstream                                 HTTP to an upstream, no S3
 *   http, error, config, state               base
 * </pre>
 */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.bitsbridge.proxy");
    }

    @Test
    void packagesFormNoCycle() {
        slices().matching("dev.bitsbridge.proxy.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void eachLayerUsesOnlyTheLayersBelowIt() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Base").definedBy("..proxy.http..", "..proxy.error..", "..proxy.config..", "..proxy.state..")
                .layer("Upstream").definedBy("..proxy.upstream..")
                .layer("S3").definedBy("..proxy.s3..")
                .layer("Endpoint").definedBy("..proxy.endpoint..")
                .layer("Cache").definedBy("..proxy.cache..")
                .layer("Download").definedBy("..proxy.download..")
                .layer("Features").definedBy("..proxy.links..", "..proxy.vending..", "..proxy.share..",
                        "..proxy.upload..", "..proxy.observe..", "..proxy.startup..")
                .layer("Server").definedBy("..proxy.server..")
                .whereLayer("Server").mayNotBeAccessedByAnyLayer()
                .whereLayer("Features").mayOnlyBeAccessedByLayers("Server")
                .whereLayer("Download").mayOnlyBeAccessedByLayers("Features", "Server")
                .whereLayer("Cache").mayOnlyBeAccessedByLayers("Download", "Features", "Server")
                .whereLayer("Endpoint").mayOnlyBeAccessedByLayers("Cache", "Download", "Features", "Server")
                .whereLayer("S3").mayOnlyBeAccessedByLayers("Endpoint", "Cache", "Download", "Features", "Server")
                .whereLayer("Upstream").mayOnlyBeAccessedByLayers("S3", "Endpoint", "Cache", "Download", "Features",
                        "Server")
                .check(classes);
    }

    @Test
    void basePackagesDependOnNoOtherPackageOfTheProxy() {
        for (String base : new String[] {"http", "error", "config", "state"}) {
            com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses()
                    .that().resideInAPackage("..proxy." + base + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(
                            "..proxy.upstream..", "..proxy.s3..", "..proxy.endpoint..", "..proxy.cache..", "..proxy.download..",
                            "..proxy.links..", "..proxy.vending..", "..proxy.share..", "..proxy.upload..",
                            "..proxy.observe..", "..proxy.startup..", "..proxy.server..")
                    .check(classes);
        }
    }
}
