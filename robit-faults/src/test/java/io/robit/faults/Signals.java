package io.robit.faults;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** Sends POSIX signals with {@code kill(1)}: Java 17 has no API for SIGSTOP and SIGCONT. */
final class Signals {
    private Signals() {
    }

    /** Sends {@code SIG<name>} to {@code pid}; quiet if the process is already gone. */
    static void send(String name, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            kill.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill -" + name + " " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
