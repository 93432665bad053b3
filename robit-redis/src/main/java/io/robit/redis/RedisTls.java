package io.robit.redis;

import io.lettuce.core.SslOptions;
import io.robit.spi.Secrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The TLS files of a {@code rediss://} URI: the CA that signed the server's certificate ({@code cacert},
 * else the JVM's trust store) and a client certificate with its key ({@code cert}, {@code key}), all
 * PEM. Lettuce verifies the server's chain and host name ({@code verifyPeer=FULL}, its default for
 * {@code rediss}). Immutable.
 *
 * @param caCert the CA certificate, or empty
 * @param cert the client certificate, or empty
 * @param key the client key (unencrypted PKCS#8 PEM), present exactly when {@code cert} is
 */
record RedisTls(Optional<Path> caCert, Optional<Path> cert, Optional<Path> key) {

    /**
     * The TLS options of a URI, or empty when it gives none.
     *
     * @throws IllegalArgumentException files given on a scheme without TLS, cert without key, or a file that cannot be read
     */
    static Optional<RedisTls> of(String uri, String scheme, String caCert, String cert, String key) {
        if (caCert == null && cert == null && key == null) {
            return Optional.empty();
        }
        String shown = Secrets.redact(uri);
        if (!scheme.startsWith("rediss")) {
            throw new IllegalArgumentException("Redis URI '" + shown + "' gives cacert/cert/key but its scheme " + scheme
                    + " has no TLS: use rediss:// or rediss-sentinel://");
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("Redis URI '" + shown + "' must give cert and key together (the client certificate and its key)");
        }
        return Optional.of(new RedisTls(file(shown, "cacert", caCert), file(shown, "cert", cert), file(shown, "key", key)));
    }

    private static Optional<Path> file(String uri, String name, String path) {
        if (path == null) {
            return Optional.empty();
        }
        if (path.isBlank() || !Files.isReadable(Path.of(path))) {
            throw new IllegalArgumentException("Redis URI '" + uri + "': " + name + " file '" + path + "' does not exist or cannot be read");
        }
        return Optional.of(Path.of(path));
    }

    /** Lettuce's SSL options for these files. */
    SslOptions sslOptions() {
        SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider();
        caCert.ifPresent(ca -> ssl.trustManager(ca.toFile()));
        if (cert.isPresent()) {
            ssl.keyManager(cert.get().toFile(), key.orElseThrow().toFile(), null);
        }
        return ssl.build();
    }
}
