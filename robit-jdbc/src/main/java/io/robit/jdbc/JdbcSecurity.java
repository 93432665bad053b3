package io.robit.jdbc;

import io.robit.spi.Secrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;

/**
 * Robit's security parameters of a server URI, turned into the JDBC driver's own properties:
 * {@code cacert} or {@code cert} (PEM) switch on TLS with the server's chain and host name verified
 * (PostgreSQL {@code sslmode=verify-full}, {@code sslrootcert}; MariaDB {@code sslMode=verify-full},
 * {@code serverSslCert}) unless the URI already chose a mode; {@code cert} and {@code key} (PEM) become
 * a private PKCS#12 key store ({@link ClientKeyStore}) the driver reads; {@code passwordFile} and
 * {@code passwordEnv} give the password. The drivers' native parameters still work as they are. Stateless.
 */
final class JdbcSecurity {
    private JdbcSecurity() {
    }

    /**
     * Removes Robit's security parameters from {@code params} and sets what they mean in {@code properties}.
     *
     * @param url the JDBC URL (its prefix tells which JDBC driver reads the properties)
     * @param shownUri the URI for messages (passwords masked)
     * @throws IllegalArgumentException a parameter cannot be used with this driver, or a file or variable is missing
     */
    static void apply(String url, Map<String, String> params, Properties properties, String shownUri, UnaryOperator<String> environment) {
        String caCert = params.remove("cacert");
        String cert = params.remove("cert");
        String key = params.remove("key");
        String passwordFile = params.remove("passwordFile");
        String passwordEnv = params.remove("passwordEnv");
        try {
            Secrets.password(properties.getProperty("password"), passwordFile, passwordEnv, environment)
                    .ifPresent(password -> properties.setProperty("password", password));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("backend URI '" + shownUri + "': " + e.getMessage(), e);
        }
        if (caCert == null && cert == null && key == null) {
            return;
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("backend URI '" + shownUri + "' must give cert and key together (the client certificate and its key)");
        }
        requireReadable(shownUri, "cacert", caCert);
        requireReadable(shownUri, "cert", cert);
        requireReadable(shownUri, "key", key);
        if (url.startsWith("jdbc:postgresql:")) {
            if (caCert != null) {
                properties.setProperty("sslrootcert", caCert);
            }
            if (cert != null) {
                // pgjdbc reads a PEM certificate but not a PEM key: hand it both as PKCS#12.
                ClientKeyStore store = ClientKeyStore.write(Path.of(cert), Path.of(key));
                properties.setProperty("sslkey", store.file().toString());
                properties.setProperty("sslpassword", store.password());
            }
            putIfAbsent(params, properties, "sslmode", "verify-full");
        } else if (url.startsWith("jdbc:mariadb:")) {
            if (caCert != null) {
                properties.setProperty("serverSslCert", caCert);
            }
            if (cert != null) {
                ClientKeyStore store = ClientKeyStore.write(Path.of(cert), Path.of(key));
                properties.setProperty("keyStore", store.file().toString());
                properties.setProperty("keyStorePassword", store.password());
                properties.setProperty("keyStoreType", "PKCS12");
            }
            putIfAbsent(params, properties, "sslMode", "verify-full");
        } else {
            throw new IllegalArgumentException("backend URI '" + shownUri + "': cacert, cert and key work with PostgreSQL and MariaDB Connector/J; "
                    + "with another JDBC driver use its own TLS parameters");
        }
    }

    private static void putIfAbsent(Map<String, String> params, Properties properties, String name, String value) {
        if (!params.containsKey(name) && properties.getProperty(name) == null) {
            properties.setProperty(name, value);
        }
    }

    private static void requireReadable(String shownUri, String name, String path) {
        if (path != null && (path.isBlank() || !Files.isReadable(Path.of(path)))) {
            throw new IllegalArgumentException("backend URI '" + shownUri + "': " + name + " file '" + path + "' does not exist or cannot be read");
        }
    }
}
