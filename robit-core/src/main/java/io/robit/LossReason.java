package io.robit;

/** Why a hold of a lock was lost. */
public enum LossReason {
    /** The backend let the lease expire before it was renewed. */
    EXPIRED,
    /** Another party holds the lock now. */
    TAKEN_OVER,
    /** The backend reports the lease gone: deleted, revoked, or its session ended. */
    GONE,
    /**
     * No renewal succeeded before the local deadline (the send time of the last successful
     * acquire or refresh, plus the ttl, minus the drift margin). The backend may be unreachable;
     * from this moment it may grant the lock to someone else.
     */
    DEADLINE_PASSED
}
