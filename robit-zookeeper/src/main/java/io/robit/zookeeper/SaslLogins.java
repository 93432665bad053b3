package io.robit.zookeeper;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;

/**
 * The JAAS login sections of drivers that authenticate with SASL DIGEST-MD5 from a URI, so that no
 * JAAS file is needed. ZooKeeper's client looks its section up by name in the JVM-wide JAAS
 * {@link Configuration} on every connect: this class installs, once, a configuration that answers for
 * the sections it registered and hands every other name to the configuration that was there before
 * (a {@code java.security.auth.login.config} file, if any). An application that later replaces the
 * JVM's configuration must keep delegating to this one. Thread-safe.
 */
final class SaslLogins extends Configuration {
    /** ZooKeeper's own login module for DIGEST-MD5 (its username and password options). */
    private static final String DIGEST_LOGIN_MODULE = "org.apache.zookeeper.server.auth.DigestLoginModule";
    private static final ReentrantLock INSTALL = new ReentrantLock();
    private static final Map<String, AppConfigurationEntry[]> SECTIONS = new ConcurrentHashMap<>();

    private final Configuration previous; // null when the JVM had none

    private SaslLogins(Configuration previous) {
        this.previous = previous;
    }

    /** Registers a section logging in as {@code user}; returns its name, for {@code zookeeper.sasl.clientconfig}. */
    static String register(String user, String password) {
        install();
        String name = "robit-zookeeper-" + UUID.randomUUID();
        AppConfigurationEntry entry = new AppConfigurationEntry(DIGEST_LOGIN_MODULE, AppConfigurationEntry.LoginModuleControlFlag.REQUIRED,
                Map.of("username", user, "password", password));
        SECTIONS.put(name, new AppConfigurationEntry[] {entry});
        return name;
    }

    /** Forgets a section once its client is closed. */
    static void unregister(String name) {
        SECTIONS.remove(name);
    }

    private static void install() {
        INSTALL.lock();
        try {
            Configuration current;
            try {
                current = Configuration.getConfiguration();
            } catch (SecurityException noConfigurationFile) {
                current = null;
            }
            if (!(current instanceof SaslLogins)) {
                Configuration.setConfiguration(new SaslLogins(current));
            }
        } finally {
            INSTALL.unlock();
        }
    }

    @Override
    public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
        AppConfigurationEntry[] own = SECTIONS.get(name);
        if (own != null) {
            return own.clone();
        }
        return previous == null ? null : previous.getAppConfigurationEntry(name);
    }

    @Override
    public void refresh() {
        if (previous != null) {
            previous.refresh();
        }
    }

    @Override
    public String toString() {
        return "SaslLogins[" + SECTIONS.size() + " sections, then " + previous + "]";
    }
}
