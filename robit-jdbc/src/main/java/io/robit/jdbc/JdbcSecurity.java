package io.robit.jdbc;

import io.robit.spi.Secrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;

/**
 * Robit's security parameters of a server URI, turned into the JDBC driver's own properties:
 * {@code cacert} (PEM) switches on TLS with the server's chain and host name verified
 * (PostgreSQL {@code sslmode=verify-full&sslrootcert}, MariaDB {@code sslMode=verify-full&serverSslCert})
 * unless the URI already chose a mode; {@code cert}/{@code key} become PostgreSQL's {@code sslcert}/{@code sslkey};
 * {@code passwordFile}/{@code passwordEnv} give the password. The driver's native parameters still
 * work as they are. Stateless.
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
                putIfAbsent(params, properties, "sslmode", "verify-full");
            }
            if (cert != null) {
                properties.setProperty("sslcert", cert);
                properties.setProperty("sslkey", key); // pgjdbc reads PKCS-8 DER (.pk8) or PKCS-12 (.p12)
                putIfAbsent(params, properties, "sslmode", "verify-full");
            }
        } else if (url.startsWith("jdbc:mariadb:")) {
            if (cert != null) {
                throw new IllegalArgumentException("backend URI '" + shownUri + "': MariaDB Connector/J reads a client certificate only from a "
                        + "key store: give keyStore=PATH.p12&keyStoreType=PKCS12 (and its password) instead of cert and key");
            }
            properties.setProperty("serverSslCert", caCert);
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
