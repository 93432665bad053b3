package io.robit.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import sun.misc.Signal;

/**
 * POSIX signals for {@code robit run}: catching SIGINT, SIGTERM and SIGHUP (through
 * {@code sun.misc.Signal}, from {@code jdk.unsupported}), and sending a signal to another process
 * (through the shell's {@code kill}, since Java can only send SIGTERM and SIGKILL itself). Stateless.
 */
final class Signals {
    /** The signals {@code robit run} forwards to its command. */
    static final List<String> FORWARDED = List.of("INT", "TERM", "HUP");

    private Signals() {
    }

    /**
     * Replaces the JVM's handling of the {@link #FORWARDED} signals with {@code handler}, which is
     * given the signal's name on the JVM's signal thread. A signal this JVM cannot catch (ignored by
     * the parent, or reserved) is skipped.
     *
     * @return the signals now handled
     */
    static List<String> install(Consumer<String> handler) {
        List<String> installed = new ArrayList<>();
        for (String name : FORWARDED) {
            try {
                Signal.handle(new Signal(name), signal -> handler.accept(signal.getName()));
                installed.add(name);
            } catch (IllegalArgumentException notCatchable) {
                // e.g. SIGINT ignored because robit was started in the background by a shell
            }
        }
        return installed;
    }

    /** The number of a signal, for the shell convention of exiting with 128 + N. */
    static int number(String name) {
        return switch (name) {
            case "HUP" -> 1;
            case "INT" -> 2;
            case "KILL" -> 9;
            case "TERM" -> 15;
            case "CONT" -> 18;
            case "STOP" -> 19;
            default -> throw new IllegalArgumentException("unknown signal " + name);
        };
    }

    /**
     * Sends signal {@code name} (e.g. {@code INT}, {@code STOP}) to the processes {@code pids} with
     * {@code sh -c kill}, waiting at most 5 s for it.
     *
     * @return whether kill succeeded for all of them
     */
    static boolean send(String name, long... pids) {
        try {
            Process kill = startKill(name, pids);
            if (!kill.waitFor(5, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                return false;
            }
            return kill.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Sends signal {@code name} to process {@code pid} like {@link #send}, but waits for kill as long
     * as it takes: on a starved host, starting it can take longer than any fixed bound, and a signal
     * forwarded to a command must arrive late rather than not at all.
     *
     * @return whether kill succeeded
     * @throws InterruptedException if interrupted while waiting; the signal may still be sent
     */
    static boolean sendPatiently(String name, long pid) throws InterruptedException {
        try {
            return startKill(name, pid).waitFor() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static Process startKill(String name, long... pids) throws IOException {
        // The shell's kill builtin: /bin/sh is everywhere, kill(1) (procps) is not on minimal images.
        List<String> command = new ArrayList<>(List.of("sh", "-c", "kill -s \"$0\" \"$@\"", name));
        for (long pid : pids) {
            command.add(Long.toString(pid));
        }
        return new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }
}
