package io.robit.examples.spring;

import io.robit.spring.LockContext;
import io.robit.spring.Locked;
import org.springframework.stereotype.Service;

/** Deposits: read, add, write, under the account's lock. */
@Service
public class AccountService {
    private final Accounts accounts;

    public AccountService(Accounts accounts) {
        this.accounts = accounts;
    }

    /** Adds {@code amount} to the account and returns what was written. */
    // snippet:locked
    @Locked(name = "account-#{#id}", ttl = "10s", waitFor = "5s")
    public Deposit deposit(long id, long amount) {
        long token = LockContext.fencingToken().orElseThrow();
        long balance = accounts.balance(id).orElse(0L) + amount;
        if (!accounts.write(id, balance, token)) { // the row refuses a token older than its last write's
            throw new StaleLockException(id, token);
        }
        return new Deposit(id, balance, token);
    }
    // end::locked

    /** The result of a deposit. */
    public record Deposit(long account, long balance, long fencingToken) {
    }
}
