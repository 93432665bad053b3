package io.robit.jdbc;

import io.robit.tck.TestPki;
import io.robit.testsupport.Ports;
import io.robit.testsupport.Probes;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL or MariaDB server of a test's own, made from the installed binaries in a temporary
 * directory on a free loopback port, that accepts TCP only over TLS (certificates from {@code pki})
 * and has one database {@code robit} for a user {@code robit} (password) and a user {@code robit_x509}
 * (the same password and a client certificate signed by {@code pki}'s CA). The shared
 * servers are never touched. Under root, PostgreSQL runs as the {@code postgres} user (it refuses
 * root). Not thread-safe.
 */
final class PrivateDatabase implements AutoCloseable {
    private final int port;
    private final List<String> stop;
    private final Process process; // MariaDB's server; PostgreSQL's is run by pg_ctl

    private PrivateDatabase(int port, List<String> stop, Process process) {
        this.port = port;
        this.stop = stop;
        this.process = process;
    }

    int port() {
        return port;
    }

    /** Starts PostgreSQL with {@code ssl=on} and {@code hostssl} (scram-sha-256) as the only TCP entry. */
    static PrivateDatabase postgres(TestPki pki, Path parent, String password) throws IOException, InterruptedException {
        Path bin = postgresBin();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = Files.createDirectories(parent.resolve("pg"));
        Path data = dir.resolve("data");
        Path superPassword = dir.resolve("superpw");
        Files.writeString(superPassword, "unused-" + System.nanoTime());
        copy(pki.serverCert(), dir.resolve("server.crt"));
        copy(pki.serverKey(), dir.resolve("server.key"));
        copy(pki.caCert(), dir.resolve("ca.crt"));
        if (root) {
            UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.toList()) {
                    Files.setOwner(file, postgres);
                }
            }
            // The test's temporary directory above must let postgres through.
            for (Path up = dir.getParent(); up != null && !up.equals(Path.of("/tmp")) && !up.equals(up.getRoot()); up = up.getParent()) {
                Files.setPosixFilePermissions(up, PosixFilePermissions.fromString("rwx--x--x"));
            }
        }
        run(root, dir, bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres", "--pwfile", superPassword.toString(),
                "--auth-local=trust", "--auth-host=reject", "--no-sync");
        Files.write(data.resolve("pg_hba.conf"), List.of(
                "local all all trust",
                "hostssl all robit_x509 127.0.0.1/32 scram-sha-256 clientcert=verify-ca",
                "hostssl all all 127.0.0.1/32 scram-sha-256",
                "hostnossl all all 127.0.0.1/32 reject"));
        int port = Ports.free();
        String options = "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c ssl=on -c fsync=off"
                + " -c ssl_cert_file=" + dir.resolve("server.crt") + " -c ssl_key_file=" + dir.resolve("server.key")
                + " -c ssl_ca_file=" + dir.resolve("ca.crt");
        run(root, dir, bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-o", options, "-l", dir.resolve("pg.log").toString(),
                "-w", "-t", "60", "start");
        List<String> stop = command(root, bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop");
        PrivateDatabase db = new PrivateDatabase(port, stop, null);
        try {
            Path sql = dir.resolve("setup.sql");
            Files.writeString(sql, "CREATE USER robit PASSWORD '" + password + "';\nCREATE DATABASE robit OWNER robit;\n"
                    + "CREATE USER robit_x509 PASSWORD '" + password + "';\nGRANT ALL ON DATABASE robit TO robit_x509;\n"
                    + "\\c robit\nGRANT ALL ON SCHEMA public TO robit_x509;\n");
            if (root) {
                Files.setOwner(sql, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
            }
            run(root, dir, bin.resolve("psql").toString(), "-h", dir.toString(), "-p", Integer.toString(port), "-U", "postgres", "-d", "postgres",
                    "-v", "ON_ERROR_STOP=1", "-q", "-f", sql.toString());
            Files.delete(sql);
        } catch (IOException | RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    /** Starts MariaDB with {@code require_secure_transport=ON}; the user {@code robit} is made {@code REQUIRE SSL}. */
    static PrivateDatabase mariadb(TestPki pki, Path parent, String password) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(parent.resolve("mariadb"));
        Path data = dir.resolve("data");
        Path socket = dir.resolve("mysqld.sock");
        run(false, dir, "mariadb-install-db", "--no-defaults", "--user=" + System.getProperty("user.name"), "--datadir=" + data,
                "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve");
        int port = Ports.free();
        List<String> server = new ArrayList<>(List.of(mariadbd(), "--no-defaults", "--datadir=" + data, "--port=" + port,
                "--bind-address=127.0.0.1", "--socket=" + socket, "--pid-file=" + dir.resolve("mysqld.pid"), "--skip-log-bin",
                "--innodb-buffer-pool-size=16M", "--skip-name-resolve", "--require-secure-transport=ON",
                "--ssl-cert=" + pki.serverCert(), "--ssl-key=" + pki.serverKey(), "--ssl-ca=" + pki.caCert(),
                "--log-error=" + dir.resolve("mariadb.log")));
        if ("root".equals(System.getProperty("user.name"))) {
            server.add("--user=root");
        }
        Process process = new ProcessBuilder(server).redirectErrorStream(true).redirectOutput(dir.resolve("mariadbd.out").toFile()).start();
        PrivateDatabase db = new PrivateDatabase(port, null, process);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Probes.listening(port) || !Files.exists(socket)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("mariadbd did not start; see " + dir.resolve("mariadb.log"));
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
            Path sql = dir.resolve("setup.sql");
            Files.writeString(sql, "CREATE USER 'robit'@'%' IDENTIFIED BY '" + password + "' REQUIRE SSL;\n"
                    + "CREATE USER 'robit_x509'@'%' IDENTIFIED BY '" + password + "' REQUIRE X509;\n"
                    + "CREATE DATABASE robit;\nGRANT ALL ON robit.* TO 'robit'@'%';\nGRANT ALL ON robit.* TO 'robit_x509'@'%';\n");
            run(false, dir, "mariadb", "--no-defaults", "--socket=" + socket, "-uroot", "-e", "source " + sql);
            Files.delete(sql);
        } catch (IOException | RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    private static String mariadbd() {
        for (String candidate : List.of("/usr/sbin/mariadbd", "/usr/sbin/mysqld")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return "mariadbd";
    }

    private static Path postgresBin() throws IOException {
        Path versions = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(versions)) {
            try (Stream<Path> dirs = Files.list(versions)) {
                var newest = dirs.map(d -> d.resolve("bin")).filter(d -> Files.isExecutable(d.resolve("initdb")))
                        .max(Comparator.comparingInt(d -> Integer.parseInt(d.getParent().getFileName().toString().replaceAll("\\D", "0"))));
                if (newest.isPresent()) {
                    return newest.get();
                }
            }
        }
        throw new IOException("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)");
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-------"));
    }

    private static List<String> command(boolean asPostgres, String... args) {
        List<String> command = new ArrayList<>();
        if (asPostgres) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.addAll(List.of(args));
        return command;
    }

    private static void run(boolean asPostgres, Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = command(asPostgres, args);
        File log = dir.resolve("commands.log").toFile();
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException(args[0] + " failed; see " + log + ":\n" + Files.readString(log.toPath()));
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (stop != null) {
            new ProcessBuilder(stop).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
        }
        if (process != null) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
