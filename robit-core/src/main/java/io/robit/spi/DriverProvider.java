package io.robit.spi;

import java.util.Set;

/**
 * Opens drivers from URIs for {@link io.robit.Drivers#open}. Registered with
 * {@link java.util.ServiceLoader} in {@code META-INF/services/io.robit.spi.DriverProvider}; one per
 * driver module. Implementations need a public no-argument constructor.
 */
public interface DriverProvider {

    /** {@return the URI schemes this provider opens, lower case, e.g. {@code redis} and {@code rediss}} */
    Set<String> schemes();

    /**
     * Opens a driver for {@code uri}, whose scheme is one of {@link #schemes()}. The driver owns
     * the connections it makes and closes them in {@link Driver#close()}.
     *
     * @param uri the whole URI as the user gave it
     * @throws IllegalArgumentException the URI is malformed; the message says what is expected
     * @throws io.robit.DriverException the backend could not be reached
     * @return a driver that owns its connections: close it when done
     */
    Driver<String> open(String uri);
}
