package io.robit.cli;

import io.robit.Drivers;
import io.robit.spi.Driver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The {@code --backend URI} option every command shares, and where the backend comes from when it
 * is not given: {@code $ROBIT_BACKEND}, else the embedded SQLite file in the user's state directory.
 */
final class BackendOption {
    /** The environment variable that names the backend when {@code --backend} is not given. */
    static final String ENV = "ROBIT_BACKEND";
    private static final String ZOOKEEPER = "zookeeper://";
    private static final String SESSION_TIMEOUT = "sessionTimeout";
    private static final String CONNECTION_TIMEOUT = "connectionTimeout";
    /**
     * The shortest connection wait {@code robit run --wait 0} gives ZooKeeper: one attempt at
     * connecting and opening a session, on a loaded machine.
     */
    static final Duration MIN_CONNECTION_WAIT = Duration.ofSeconds(2);
    /** ZooKeeper's connection wait when neither the URI nor {@code --wait} bounds it (the driver's default). */
    private static final Duration DEFAULT_CONNECTION_WAIT = Duration.ofSeconds(15);
    /** The longest a ZooKeeper URI's durations may be written (nine digits of milliseconds). */
    private static final long MAX_SESSION_MILLIS = 999_999_999L;

    @Option(names = {"-b", "--backend"}, paramLabel = "URI",
            description = {"where the lock lives: sqlite:PATH, redis://HOST:PORT, postgresql://USER@HOST/DB, mysql://..., "
                + "mariadb://..., etcd://HOST:PORT, zookeeper://HOST:PORT (whichever drivers are built in).",
                "Default: $ROBIT_BACKEND, else sqlite:$XDG_STATE_HOME/robit/robit.db ($HOME/.local/state/robit/robit.db)."})
    String uri;

    /**
     * The backend URI to use, from the option, the environment, or the default.
     *
     * @throws IllegalArgumentException the option or variable is given but blank, or the URI is malformed
     */
    String resolve() {
        return resolve(uri, System.getenv(), System.getProperty("user.home"));
    }

    static String resolve(String option, Map<String, String> env, String userHome) {
        if (option != null) {
            if (option.isBlank()) {
                throw new IllegalArgumentException("--backend must name a backend URI, got '" + option + "' (leave the option out "
                        + "for the default SQLite file)");
            }
            return BackendUri.check(option.strip());
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null) {
            if (fromEnv.isBlank()) {
                throw new IllegalArgumentException("$" + ENV + " is set but blank; unset it for the default SQLite file, or name a "
                        + "backend URI");
            }
            return BackendUri.check(fromEnv.strip());
        }
        return "sqlite:" + defaultDatabase(env, userHome);
    }

    /**
     * {@code $XDG_STATE_HOME/robit/robit.db}, else {@code $HOME/.local/state/robit/robit.db}, as the XDG
     * Base Directory spec says: from the environment, ignoring a relative {@code XDG_STATE_HOME}; the
     * JVM's {@code user.home} only when {@code HOME} is unset.
     */
    static Path defaultDatabase(Map<String, String> env, String userHome) {
        String state = env.get("XDG_STATE_HOME");
        if (state != null && !state.isBlank() && Path.of(state).isAbsolute()) {
            return Path.of(state).resolve("robit").resolve("robit.db");
        }
        String home = env.get("HOME");
        String base = home != null && !home.isBlank() ? home : userHome;
        return Path.of(base, ".local", "state", "robit", "robit.db");
    }

    /**
     * Opens the driver.
     *
     * @throws IllegalArgumentException the URI is malformed or its scheme unknown (exit 64)
     * @throws io.robit.DriverException the backend cannot be reached (exit 69)
     */
    Driver<String> open() {
        return Drivers.open(resolve());
    }

    /**
     * Opens the driver for holds of {@code ttl}. On ZooKeeper, whose locks outlive a crashed
     * holder by the session timeout, not the ttl, it asks for a session timeout equal to the ttl
     * unless the URI sets one, so that the ttl bounds a takeover there too (see
     * {@link #withSessionTimeout}).
     *
     * @throws IllegalArgumentException the URI is malformed or its scheme unknown (exit 64)
     * @throws io.robit.DriverException the backend cannot be reached (exit 69)
     */
    Driver<String> open(Duration ttl) {
        return Drivers.open(withSessionTimeout(resolve(), ttl));
    }

    /**
     * As {@link #open(Duration)}, for a command that waits at most {@code wait} for its lock: on
     * ZooKeeper, whose client keeps retrying a refused or silent server until its connection
     * timeout, connecting is bounded by the wait too (at least {@link #MIN_CONNECTION_WAIT}, at most
     * the driver's 15 s) unless the URI sets {@code connectionTimeout}.
     */
    Driver<String> open(Duration ttl, Duration wait) {
        return Drivers.open(withConnectionTimeout(withSessionTimeout(resolve(), ttl), wait));
    }

    /**
     * {@code uri} with {@code connectionTimeout} set from {@code wait} (see {@link #open(Duration, Duration)})
     * if it is a {@code zookeeper://} URI without one; other URIs are returned as they are.
     */
    static String withConnectionTimeout(String uri, Duration wait) {
        if (!uri.regionMatches(true, 0, ZOOKEEPER, 0, ZOOKEEPER.length()) || hasParameter(uri, CONNECTION_TIMEOUT)) {
            return uri;
        }
        Duration bound = wait.compareTo(MIN_CONNECTION_WAIT) < 0 ? MIN_CONNECTION_WAIT : wait;
        if (bound.compareTo(DEFAULT_CONNECTION_WAIT) >= 0) {
            return uri;
        }
        return uri + (uri.indexOf('?') >= 0 ? "&" : "?") + CONNECTION_TIMEOUT + "=" + bound.toMillis() + "ms";
    }

    private static boolean hasParameter(String uri, String name) {
        int query = uri.indexOf('?');
        if (query >= 0) {
            for (String pair : uri.substring(query + 1).split("&")) {
                if (pair.equals(name) || pair.startsWith(name + "=")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * {@code uri} with {@code sessionTimeout=TTL} added if it is a {@code zookeeper://} URI without
     * one. The server still rounds the request into {@code [2, 20] × tickTime} (4 s to 40 s with
     * the usual {@code tickTime=2000}). Other URIs are returned as they are.
     */
    static String withSessionTimeout(String uri, Duration ttl) {
        if (!uri.regionMatches(true, 0, ZOOKEEPER, 0, ZOOKEEPER.length()) || hasParameter(uri, SESSION_TIMEOUT)) {
            return uri;
        }
        int query = uri.indexOf('?');
        long millis = Math.max(1, Math.min(ttl.toMillis(), MAX_SESSION_MILLIS));
        return uri + (query >= 0 ? "&" : "?") + SESSION_TIMEOUT + "=" + millis + "ms";
    }
}
