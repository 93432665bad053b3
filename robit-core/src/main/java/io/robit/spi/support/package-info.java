/**
 * The driver support kit: what every driver would otherwise write again. {@link
 * io.robit.spi.support.BaseLease} (id, fencing token, the {@code lost()} future and the once-only
 * release-versus-loss transition), {@link io.robit.spi.support.Arguments} (durations and lock names
 * checked before any I/O, with messages that name the argument), {@link
 * io.robit.spi.support.UriParameters} (a {@code DriverProvider}'s URI query: durations such as
 * {@code 500ms}/{@code 5s}/{@code PT5S}, booleans, integers, passwords from {@code passwordFile} or
 * {@code passwordEnv}, unknown names rejected or passed on), {@link
 * io.robit.spi.support.BlockingWaits} (an asynchronous wait made of a blocking one, one short slice at
 * a time, for clients that can only block), and {@link io.robit.spi.support.ForwardingDriver} with
 * {@link io.robit.spi.support.ForwardingContention} (the base of a decorator that keeps the wrapped
 * driver's own contention and waits). Part of the SPI: drivers may use it,
 * nothing requires them to.
 */
package io.robit.spi.support;
