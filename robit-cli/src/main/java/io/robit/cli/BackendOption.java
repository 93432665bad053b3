package io.robit.cli;

import io.robit.Drivers;
import io.robit.spi.Driver;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The {@code --backend URI} option every command shares, and where the backend comes from when it
 * is not given: {@code $ROBIT_BACKEND}, else the embedded SQLite file in the user's state directory.
 */
final class BackendOption {
    /** The environment variable that names the backend when {@code --backend} is not given. */
    static final String ENV = "ROBIT_BACKEND";

    @Option(names = {"-b", "--backend"}, paramLabel = "URI",
            description = {"where the lock lives: sqlite:PATH, redis://HOST:PORT, postgresql://USER@HOST/DB, mysql://..., "
                + "mariadb://..., etcd://HOST:PORT, zookeeper://HOST:PORT (whichever drivers are built in).",
                "Default: $ROBIT_BACKEND, else sqlite:$XDG_STATE_HOME/robit/robit.db (~/.local/state/robit/robit.db)."})
    String uri;

    /** The backend URI to use, from the option, the environment, or the default. */
    String resolve() {
        return resolve(uri, System.getenv(), System.getProperty("user.home"));
    }

    static String resolve(String option, Map<String, String> env, String home) {
        if (option != null && !option.isBlank()) {
            return option.strip();
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.strip();
        }
        return "sqlite:" + defaultDatabase(env, home);
    }

    /** {@code $XDG_STATE_HOME/robit/robit.db}, or {@code ~/.local/state/robit/robit.db} (XDG Base Directory spec). */
    static Path defaultDatabase(Map<String, String> env, String home) {
        String state = env.get("XDG_STATE_HOME");
        Path base = state != null && !state.isBlank() && Path.of(state).isAbsolute()
                ? Path.of(state)
                : Path.of(home, ".local", "state");
        return base.resolve("robit").resolve("robit.db");
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
}
