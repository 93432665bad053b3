package io.robit.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client certificate and key given as PEM files, written as the PKCS#12 key store the JDBC drivers
 * read (pgjdbc's {@code sslkey=*.p12}, MariaDB's {@code keyStore}): a private temporary file (owner
 * only, deleted at JVM exit; the drivers read it again on each new connection) under a random
 * password that lives only in this JVM. Immutable.
 *
 * @param file the key store
 * @param password its password
 */
record ClientKeyStore(Path file, String password) {
    /** pgjdbc looks the entry up under this alias. */
    static final String ALIAS = "user";
    private static final Pattern PKCS8 = Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    /**
     * @throws IllegalArgumentException a file is not what it should be; the message names the file, never key material
     */
    static ClientKeyStore write(Path cert, Path key) {
        List<Certificate> chain;
        try (InputStream in = Files.newInputStream(cert)) {
            chain = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cert file '" + cert + "' is not a PEM certificate: " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("cert file '" + cert + "' holds no certificate");
        }
        PrivateKey privateKey = readKey(key);
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, privateKey, password.toCharArray(), chain.toArray(Certificate[]::new));
            Path file = Files.createTempFile("robit-jdbc-client-", ".p12",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            file.toFile().deleteOnExit();
            try (OutputStream out = Files.newOutputStream(file)) {
                store.store(out, password.toCharArray());
            }
            return new ClientKeyStore(file, password);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("could not make a key store of cert '" + cert + "' and key '" + key + "': " + e.getMessage(), e);
        }
    }

    private static PrivateKey readKey(Path key) {
        String text;
        try {
            text = Files.readString(key, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("key file '" + key + "' cannot be read: " + e.getClass().getSimpleName(), e);
        }
        Matcher pem = PKCS8.matcher(text);
        if (!pem.find()) {
            throw new IllegalArgumentException("key file '" + key + "' must be an unencrypted PKCS#8 PEM key (-----BEGIN PRIVATE KEY-----); "
                    + "convert one with: openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(pem.group(1)));
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448", "DSA"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException notThisOne) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("key file '" + key + "' holds a key of an algorithm this JVM cannot read");
    }

    @Override
    public String toString() {
        return "ClientKeyStore[" + file + "]";
    }
}
