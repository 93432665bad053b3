package io.robit.spi;

/**
 * A {@link Lease} that lives exactly as long as its {@link LeaseSession} (unless its own key or
 * node is deleted or taken over): the core renews it by keeping the session alive, once for all
 * the leases on it, and never calls its {@link Lease#refresh}. Per-lease loss detection stays the
 * lease's: its {@link Lease#lost()} completes when its own key goes (a watch), for this hold alone.
 * {@link Lease#guaranteedTtl} still bounds the first local deadline, counted from the acquire.
 *
 * <p>{@link #refresh} must still work (one refresh of the session, plus whatever check the lease
 * needs) for callers other than the core.
 */
public interface SessionLease extends Lease {
    /**
     * The session this lease lives on. The same object for every lease on the same session, for as
     * long as that session lives.
     *
     * @return the session; never null
     */
    LeaseSession session();
}
