package io.robit.examples.spring;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.ResponseStatus;

/** The database refused a write: a newer lock holder has written since this one took the lock. */
@ResponseStatus(HttpStatus.CONFLICT)
public class StaleLockException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StaleLockException(long account, long fencingToken) {
        super("write to account " + account + " with fencing token " + fencingToken + " refused: a newer holder has written");
    }
}
