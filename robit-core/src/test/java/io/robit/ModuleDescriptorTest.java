package io.robit;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.spi.DriverProvider;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The core as a named module, loaded the way a module-path application loads it (a layer of its own
 * over the compiled classes and slf4j): it exports the API, the local backend and the SPI, keeps
 * {@code io.robit.internal} to itself, and offers the local driver to {@link ServiceLoader}.
 */
class ModuleDescriptorTest {
    private static final Set<String> API_AND_SPI = Set.of("io.robit", "io.robit.local", "io.robit.spi", "io.robit.spi.support");

    private static Path locationOf(Class<?> type) throws Exception {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static ModuleLayer layer() throws Exception {
        ModuleFinder finder = ModuleFinder.of(locationOf(Mutex.class), locationOf(org.slf4j.Logger.class));
        Configuration configuration = ModuleLayer.boot().configuration().resolveAndBind(finder, ModuleFinder.of(), Set.of("io.robit"));
        return ModuleLayer.boot().defineModulesWithOneLoader(configuration, ClassLoader.getPlatformClassLoader());
    }

    @Test
    void exportsTheApiAndTheSpiOnlyAndNotTheInternals() throws Exception {
        Module core = layer().findModule("io.robit").orElseThrow();
        ModuleDescriptor descriptor = core.getDescriptor();
        Set<String> exported = descriptor.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        assertThat(exported).isEqualTo(API_AND_SPI);
        assertThat(descriptor.exports()).as("exported to everyone, not to chosen modules").noneMatch(ModuleDescriptor.Exports::isQualified);
        assertThat(descriptor.packages()).contains("io.robit.internal");
        assertThat(descriptor.opens()).isEmpty();
        assertThat(core.isExported("io.robit.internal")).isFalse();
        assertThat(core.isExported("io.robit.spi")).isTrue();
        // A new package must be decided on here: exported (API or SPI) or internal.
        assertThat(descriptor.packages()).allMatch(p -> API_AND_SPI.contains(p) || p.equals("io.robit.internal"));
    }

    @Test
    void offersTheLocalDriverThroughServiceLoaderInTheModule() throws Exception {
        ModuleLayer layer = layer();
        Module core = layer.findModule("io.robit").orElseThrow();
        Class<?> spi = Class.forName(DriverProvider.class.getName(), false, core.getClassLoader());
        assertThat(spi.getModule()).isSameAs(core);
        Set<String> providers = ServiceLoader.load(layer, spi).stream().map(p -> p.type().getName()).collect(Collectors.toSet());
        assertThat(providers).containsExactly("io.robit.internal.LocalDriverProvider");
    }
}
