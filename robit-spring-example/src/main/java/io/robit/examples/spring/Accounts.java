package io.robit.examples.spring;

import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The protected resource: account rows that remember the fencing token of their last write and
 * refuse a write with an older one, so a holder that lost its lock cannot overwrite its successor.
 */
@Repository
public class Accounts {
    private final JdbcClient jdbc;

    public Accounts(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The balance, or empty for an account never written. */
    public Optional<Long> balance(long id) {
        return jdbc.sql("SELECT balance FROM example_accounts WHERE id = ?").param(id).query(Long.class).optional();
    }

    /** Writes the balance unless a write with a newer token came first; false when refused. */
    public boolean write(long id, long balance, long fencingToken) {
        return jdbc.sql("""
                INSERT INTO example_accounts (id, balance, fencing_token) VALUES (?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET balance = EXCLUDED.balance, fencing_token = EXCLUDED.fencing_token
                WHERE example_accounts.fencing_token <= EXCLUDED.fencing_token""")
                .params(id, balance, fencingToken).update() == 1;
    }

    /** The token of the last write, or empty. */
    public Optional<Long> lastToken(long id) {
        return jdbc.sql("SELECT fencing_token FROM example_accounts WHERE id = ?").param(id).query(Long.class).optional();
    }
}
