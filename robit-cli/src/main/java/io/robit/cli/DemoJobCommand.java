package io.robit.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command each {@code robit demo} worker runs under the lock: a few writes to the fenced
 * resource, each carrying {@code $ROBIT_FENCING_TOKEN}, with a pause between them. It knows nothing
 * of the lock beyond the token, like any command run by {@code robit run}. Hidden from help.
 */
@Command(name = "demo-job", hidden = true, description = "(used by robit demo) fenced writes with $ROBIT_FENCING_TOKEN")
final class DemoJobCommand implements Callable<Integer> {
    /** Exit status when the resource refused a write as stale. */
    static final int REFUSED = 3;

    @Option(names = "--resource", required = true)
    Path resource;

    @Option(names = "--worker", required = true)
    String worker;

    @Option(names = "--writes", defaultValue = "3")
    int writes;

    @Option(names = "--interval", defaultValue = "300ms", converter = Durations.NonNegative.class)
    Duration interval;

    @Override
    public Integer call() throws Exception {
        String token = System.getenv("ROBIT_FENCING_TOKEN");
        if (token == null) {
            System.err.println("demo-job: ROBIT_FENCING_TOKEN is not set; run me under robit run");
            return ExitCode.USAGE;
        }
        long fencingToken = Long.parseLong(token);
        FencedFile file = new FencedFile(resource);
        int status = ExitCode.OK;
        for (int i = 1; i <= writes; i++) {
            FencedFile.Result result = file.write(fencingToken, worker, "write " + i + "/" + writes);
            if (result.entry().accepted()) {
                System.out.println("write " + i + "/" + writes + " accepted (token " + fencingToken + ")");
            } else {
                System.out.println("write " + i + "/" + writes + " REJECTED by the fence: token " + fencingToken
                        + " is stale, the resource has accepted token " + result.highestBefore());
                status = REFUSED;
            }
            System.out.flush();
            if (i < writes) {
                Thread.sleep(interval.toMillis());
            }
        }
        return status;
    }
}
