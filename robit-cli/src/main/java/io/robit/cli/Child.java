package io.robit.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * CMD as {@code robit run} and {@code robit lead} run it under a lock: started with the lock's name
 * and token in its environment; SIGTERM (and, off a terminal, SIGINT and SIGHUP) forwarded to it,
 * or, before it runs, the waiting main thread interrupted; after a loss, stopped with its child
 * processes (SIGTERM, SIGKILL after the grace). One per invocation. Thread-safe: the signal handler
 * reaches it from the JVM's signal thread, guarded by {@link #lock}.
 */
final class Child {
    /** CMD, started, or the exit code for why it was not. */
    record Start(Process process, int exitCode) {
        boolean started() {
            return process != null;
        }
    }

    private final List<String> command;
    private final Duration grace;
    private final PrintStream err;
    private final Thread mainThread;
    private final boolean interactive = System.console() != null;
    private final ReentrantLock lock = new ReentrantLock();
    private Process process; // guarded by lock
    private String stopSignal; // guarded by lock: the first SIGTERM/SIGINT/SIGHUP robit got

    /** Installs the signal handler: from now on, signals robit gets go to this child, or stop the main thread's wait. */
    Child(List<String> command, Duration grace, PrintStream err) {
        this.command = List.copyOf(command);
        this.grace = grace;
        this.err = err;
        this.mainThread = Thread.currentThread();
        Signals.install(this::onSignal);
    }

    /** Starts CMD with {@code ROBIT_LOCK_NAME} and {@code ROBIT_FENCING_TOKEN}; not if a stop signal came first. */
    Start start(String name, long token) {
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().put("ROBIT_LOCK_NAME", name);
        builder.environment().put("ROBIT_FENCING_TOKEN", Long.toString(token));
        lock.lock();
        try {
            if (stopSignal != null) {
                return new Start(null, 128 + Signals.number(stopSignal));
            }
            try {
                process = builder.start();
            } catch (IOException e) {
                return new Start(null, cannotStart(e));
            }
            return new Start(process, 0);
        } finally {
            lock.unlock();
        }
    }

    /** CMD has exited (or been stopped): signals from now on stop the main thread's wait again. */
    void ended() {
        lock.lock();
        try {
            process = null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * After a loss: tells why on stderr ({@code "robit: " + lost + "; ..."}) and stops {@code process} and
     * its child processes: SIGTERM, SIGKILL to what still runs after the grace.
     */
    void stopAfterLoss(Process process, String lost) throws InterruptedException {
        if (!process.isAlive()) {
            err.println("robit: " + lost + "; " + program() + " had already exited with " + process.exitValue());
            return;
        }
        err.println("robit: " + lost + "; stopping " + program() + " (pid " + process.pid() + ") with SIGTERM, SIGKILL after "
                + Durations.format(grace));
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroy();
        descendants.forEach(ProcessHandle::destroy);
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            err.println("robit: " + program() + " still running after " + Durations.format(grace) + " (--grace); sending SIGKILL");
            process.destroyForcibly();
        }
        for (ProcessHandle descendant : descendants) {
            if (descendant.isAlive()) {
                descendant.destroyForcibly();
            }
        }
        process.waitFor(5, TimeUnit.SECONDS);
    }

    /** Whether robit got SIGTERM, SIGINT or SIGHUP. */
    boolean stopping() {
        lock.lock();
        try {
            return stopSignal != null;
        } finally {
            lock.unlock();
        }
    }

    /** The exit code after a stop signal interrupted a wait: 128 + the signal's number ({@code fallback}'s if none came). */
    int signalExit(String fallback) {
        lock.lock();
        try {
            return 128 + Signals.number(stopSignal == null ? fallback : stopSignal);
        } finally {
            lock.unlock();
        }
    }

    /** CMD's program name, without its directory, for messages. */
    String program() {
        Path program = Path.of(command.get(0)).getFileName();
        return program == null ? command.get(0) : program.toString();
    }

    private int cannotStart(IOException e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        boolean notFound = message.contains("error=2,") || message.contains("No such file");
        err.println("robit: cannot run '" + command.get(0) + "': " + (notFound ? "command not found" : message));
        return notFound ? ExitCode.NOT_FOUND : ExitCode.CANNOT_EXECUTE;
    }

    /** On the JVM's signal thread: forward to CMD, or, while it does not run, stop the main thread's wait. */
    private void onSignal(String signal) {
        Process target;
        lock.lock();
        try {
            if (stopSignal == null) {
                stopSignal = signal;
            }
            if (process == null) {
                mainThread.interrupt();
                return;
            }
            if (!process.isAlive()) {
                return;
            }
            if (signal.equals("TERM")) {
                process.destroy();
                return;
            }
            if (interactive) {
                // On a terminal, SIGINT (Ctrl-C) and SIGHUP go to the whole foreground process group,
                // CMD included: forwarding them would deliver them twice.
                return;
            }
            target = process;
        } finally {
            lock.unlock();
        }
        forward(signal, target);
    }

    // Off the lock, on this signal's own handler thread: starting kill took over 5 s on a starved host,
    // and the bounded send gave up silently, leaving CMD running and robit waiting for it.
    private void forward(String signal, Process target) {
        boolean sent;
        try {
            sent = Signals.sendPatiently(signal, target.pid());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sent = false;
        }
        if (!sent && target.isAlive()) {
            err.println("robit: could not forward SIG" + signal + " to " + program() + " (pid " + target.pid() + "); sending SIGTERM");
            target.destroy();
        }
    }
}
