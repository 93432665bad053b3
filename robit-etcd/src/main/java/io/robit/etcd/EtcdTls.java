package io.robit.etcd;

import io.etcd.jetcd.ClientBuilder;
import java.io.File;
import javax.net.ssl.SSLException;

/**
 * Applies a URI's TLS options to a jetcd client: the server's chain is checked against the given CA
 * (else the JVM's trust store) and its host name against the certificate (HTTPS rules), and the
 * client certificate is presented when given. Stateless.
 */
final class EtcdTls {
    private EtcdTls() {
    }

    /**
     * @throws IllegalArgumentException a PEM file cannot be used (the message names the files, never key material)
     */
    static void apply(ClientBuilder jetcd, EtcdUri.Tls tls) {
        try {
            jetcd.sslContext(ssl -> {
                tls.caCert().ifPresent(ca -> ssl.trustManager(ca.toFile()));
                if (tls.cert().isPresent()) {
                    File cert = tls.cert().get().toFile();
                    File key = tls.key().orElseThrow().toFile();
                    ssl.keyManager(cert, key);
                }
                ssl.endpointIdentificationAlgorithm("HTTPS");
            });
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("etcd TLS options (" + tls + ") cannot be used: " + e.getMessage(), e);
        }
    }
}
