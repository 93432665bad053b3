package io.robit.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A data source for tests that can hold a driver's take in flight: once {@link #arm()}ed, preparing
 * the waiter queue's acquire statement blocks until {@link #open()}, after the take has passed every
 * check made before its statement. Thread-safe.
 */
final class TakeGate implements DataSource {
    private final DataSource target;
    private final CountDownLatch blocked = new CountDownLatch(1);
    private final CountDownLatch opened = new CountDownLatch(1);
    private volatile boolean armed;

    TakeGate(DataSource target) {
        this.target = target;
    }

    /** From now on, the next takes wait at the gate. */
    void arm() {
        armed = true;
    }

    /** True once a take waits at the gate. */
    boolean awaitBlocked(long timeout, TimeUnit unit) throws InterruptedException {
        return blocked.await(timeout, unit);
    }

    /** Lets every take through, now and later. */
    void open() {
        armed = false;
        opened.countDown();
    }

    @Override
    public Connection getConnection() throws SQLException {
        return gated(target.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return gated(target.getConnection(username, password));
    }

    private Connection gated(Connection connection) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
            if (armed && method.getName().equals("prepareStatement") && args != null && args[0] instanceof String sql
                    && sql.startsWith("WITH attempt AS") && sql.contains("_waiters")) {
                blocked.countDown();
                if (!opened.await(60, TimeUnit.SECONDS)) {
                    throw new SQLException("the test never opened the gate");
                }
            }
            try {
                return method.invoke(connection, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return target.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        target.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        target.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return target.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return target.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        return target.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return target.isWrapperFor(type);
    }
}
