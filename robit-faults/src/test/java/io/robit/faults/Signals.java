package io.robit.faults;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** Sends POSIX signals with {@code kill(1)}: Java 17 has no API for SIGSTOP and SIGCONT. */
final class Signals {
    private Signals() {
    }

    /**
     * Sends {@code SIG<name>} to {@code pid}; quiet if the process is already gone. A {@code STOP}
     * returns once every thread of the process has stopped (or it ended, or 10 s passed): {@code kill}
     * returns when the signal is queued, and on a loaded host the process may run on for a while, so a
     * worker that asked to be paused between its check and its write could otherwise write first.
     */
    static void send(String name, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            kill.waitFor(10, TimeUnit.SECONDS);
            if (name.equals("STOP")) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!io.robit.testsupport.ServerProcess.isStopped(pid) && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
                        && System.nanoTime() - deadline < 0) {
                    TimeUnit.MILLISECONDS.sleep(5);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill -" + name + " " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
