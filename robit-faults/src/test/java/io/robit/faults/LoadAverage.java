package io.robit.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The host's 1-minute load average sampled every 10 s while a run lasts ({@code /proc/loadavg}), so
 * each result says how loaded the machine was: the suite's figures depend on it. Thread-safe.
 */
final class LoadAverage {
    private static final Path PROC = Path.of("/proc/loadavg");

    /** What the samples showed: at the start, the mean and the highest. NaN where nothing was read. */
    record Figures(double start, double mean, double max) {
        static final Figures UNKNOWN = new Figures(Double.NaN, Double.NaN, Double.NaN);

        @Override
        public String toString() {
            return String.format("load average %.1f at the start, mean %.1f, max %.1f", start, mean, max);
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Thread sampler;
    private final double start;
    private double sum;
    private double max;
    private int samples;

    private LoadAverage() {
        start = read();
        record(start);
        sampler = new Thread(this::sample, "load-average");
        sampler.setDaemon(true);
        sampler.start();
    }

    static LoadAverage start() {
        return new LoadAverage();
    }

    /** Stops sampling and returns the figures. */
    Figures stop() {
        sampler.interrupt();
        try {
            sampler.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        record(read());
        lock.lock();
        try {
            return samples == 0 ? Figures.UNKNOWN : new Figures(start, sum / samples, max);
        } finally {
            lock.unlock();
        }
    }

    private void sample() {
        while (true) {
            try {
                TimeUnit.SECONDS.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
            record(read());
        }
    }

    private void record(double value) {
        if (Double.isNaN(value)) {
            return;
        }
        lock.lock();
        try {
            sum += value;
            max = samples == 0 ? value : Math.max(max, value);
            samples++;
        } finally {
            lock.unlock();
        }
    }

    private static double read() {
        try {
            return Double.parseDouble(Files.readString(PROC).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
