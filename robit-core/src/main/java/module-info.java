/**
 * Robit's core: the distributed mutex and leader election ({@code io.robit}), the in-memory backend
 * ({@code io.robit.local}), and the driver SPI with its support kit ({@code io.robit.spi},
 * {@code io.robit.spi.support}). {@code io.robit.internal} is not exported: on the module path no
 * other module can reach it.
 */
module io.robit {
    requires transitive org.slf4j;

    exports io.robit;
    exports io.robit.local;
    exports io.robit.spi;
    exports io.robit.spi.support;

    uses io.robit.spi.DriverProvider;

    provides io.robit.spi.DriverProvider with io.robit.internal.LocalDriverProvider;
}
