package io.robit.cli;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Silences library logging in a command line: the {@code robit} command reports every event itself,
 * one line each, in one format ({@code robit: ...}), so the loggers of Robit and of the backend
 * clients (ZooKeeper, Netty, gRPC through java.util.logging) print nothing. To debug a backend, set
 * slf4j-simple's system properties through {@code ROBIT_JAVA_OPTS} (e.g.
 * {@code -Dorg.slf4j.simpleLogger.defaultLogLevel=debug}): they take precedence. Must run before the
 * first logger is made.
 */
final class Logging {
    private static final Logger JUL_ROOT = Logger.getLogger(""); // kept: JUL holds loggers weakly

    private Logging() {
    }

    static void configure() {
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "off");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        if (System.getProperty("java.util.logging.config.file") == null) {
            JUL_ROOT.setLevel(Level.OFF);
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
