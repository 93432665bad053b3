package io.robit.cli;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sets up logging for a command line: slf4j-simple, one line per message on stderr; Robit's own
 * warnings, and only errors from the backend clients (ZooKeeper, Netty, gRPC through
 * java.util.logging), unless {@code --verbose}. Must run before the first logger is made.
 */
final class Logging {
    private static final Logger JUL_ROOT = Logger.getLogger(""); // kept: JUL holds loggers weakly

    private Logging() {
    }

    static void configure(boolean verbose) {
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "warn" : "error");
        setIfAbsent("org.slf4j.simpleLogger.log.io.robit", verbose ? "info" : "warn");
        setIfAbsent("org.slf4j.simpleLogger.log.robit", verbose ? "info" : "warn");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showLogName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        setIfAbsent("org.slf4j.simpleLogger.levelInBrackets", "true");
        JUL_ROOT.setLevel(verbose ? Level.WARNING : Level.SEVERE);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
