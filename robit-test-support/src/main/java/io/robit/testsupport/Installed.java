package io.robit.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Server binaries: found on the {@code PATH} (or where Debian puts them), or installed from their
 * Debian package when missing, as {@code .ci/services} does. Installing needs root; as another
 * user it fails with the command to run. Thread-safe.
 */
public final class Installed {
    private static final ReentrantLock INSTALLING = new ReentrantLock();

    private Installed() {
    }

    /**
     * The path of {@code name}: {@code $envOverride} if that is set, else the binary on the
     * {@code PATH}, {@code /usr/sbin} or {@code /usr/bin}, else installed from {@code debianPackage}.
     */
    public static String binary(String name, String debianPackage, String envOverride) {
        String configured = envOverride == null ? null : System.getenv(envOverride);
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        Optional<Path> found = find(name);
        if (found.isPresent()) {
            return found.get().toString();
        }
        INSTALLING.lock();
        try {
            found = find(name);
            if (found.isEmpty()) {
                install(debianPackage);
                found = find(name);
            }
        } finally {
            INSTALLING.unlock();
        }
        return found.orElseThrow(() -> new IllegalStateException(name + " is still missing after installing " + debianPackage)).toString();
    }

    private static Optional<Path> find(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/usr/bin", "/usr/local/bin"));
        return dirs.stream().filter(dir -> !dir.isBlank()).map(dir -> Path.of(dir, name)).filter(Files::isExecutable).findFirst();
    }

    private static void install(String debianPackage) {
        if (!"root".equals(System.getProperty("user.name")) || !Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            throw new IllegalStateException(debianPackage + " is not installed, and installing it needs root and apt-get:"
                    + " sudo apt-get install " + debianPackage + " (or run ./test once as root)");
        }
        // The package index may be stale on a fresh machine: update once, then try again.
        if (!aptGet("install", "-y", "-qq", debianPackage) && !(aptGet("update", "-qq") && aptGet("install", "-y", "-qq", debianPackage))) {
            throw new IllegalStateException("apt-get install " + debianPackage + " failed");
        }
    }

    private static boolean aptGet(String... args) {
        List<String> command = new ArrayList<>(List.of("apt-get"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
        try {
            Process process = builder.start();
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                return false;
            }
            return process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running apt-get", e);
        }
    }
}
