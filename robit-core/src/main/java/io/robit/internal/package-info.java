/**
 * Not API: the core's machinery (holds and their renewal, the asynchronous acquire loop, the shared
 * threads). Public only because Java packages cannot share package-private types; anything here may
 * change or disappear in any release, and the published Javadoc leaves it out. Use
 * {@link io.robit} (the API) and {@link io.robit.spi} (the driver SPI and its support kit).
 */
package io.robit.internal;
