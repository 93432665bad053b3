package io.robit;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link LossListener} is told when a hold is lost.
 *
 * @param lockId the lock, as a string
 * @param reason why the hold was lost
 * @param fencingToken the fencing token of the hold that was lost
 * @param heldFor how long the hold lasted, from acquisition to the moment the loss was noticed
 * @param cause the failure behind it (a {@link LockLostException} from the driver, or the last
 *     renewal error before the local deadline), if any
 */
public record Loss(String lockId, LossReason reason, long fencingToken, Duration heldFor, Optional<Throwable> cause) {
    /**
     * Checks the components.
     *
     * @param lockId the lock that was lost
     * @param reason why it was lost
     * @param fencingToken the token of the lost hold
     * @param heldFor how long the hold lasted
     * @param cause the failure that led to the loss, if any
     */
    public Loss {
        Objects.requireNonNull(lockId, "lockId");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(heldFor, "heldFor");
        Objects.requireNonNull(cause, "cause");
    }
}
