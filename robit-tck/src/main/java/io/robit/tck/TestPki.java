package io.robit.tck;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made in a test, written as PEM files into a directory: a CA, a server certificate for
 * {@code 127.0.0.1} only (so connecting to {@code localhost} tests host name verification) signed by it, a client certificate signed by it, and a
 * second CA that signed nothing the servers use (the "untrusted" one). Keys are EC P-256, in PKCS#8
 * PEM without a password, readable by their owner only (PostgreSQL insists). Needs
 * {@code org.bouncycastle:bcpkix-jdk18on} on the test classpath. Immutable once made.
 */
public final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final Path dir;

    private TestPki(Path dir) {
        this.dir = dir;
    }

    /**
     * Makes a new PKI in {@code dir} (created if missing).
     *
     * @param clientName the client certificate's common name (etcd takes it as the user name)
     */
    public static TestPki create(Path dir, String clientName) {
        try {
            Files.createDirectories(dir);
            KeyPair ca = ec();
            X509Certificate caCert = sign("robit test CA", ca, null, ca.getPrivate(), true, null);
            KeyPair server = ec();
            X509Certificate serverCert = sign("127.0.0.1", server, caCert, ca.getPrivate(), false,
                    // The IP address only: a client that connects to "localhost" must refuse it (host name check).
                    new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            KeyPair named = ec();
            X509Certificate namedCert = sign("localhost", named, caCert, ca.getPrivate(), false,
                    new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                        new GeneralName(GeneralName.dNSName, "localhost")}));
            KeyPair client = ec();
            X509Certificate clientCert = sign(clientName, client, caCert, ca.getPrivate(), false, null);
            KeyPair other = ec();
            X509Certificate otherCert = sign("robit untrusted CA", other, null, other.getPrivate(), true, null);
            TestPki pki = new TestPki(dir);
            pki.write("ca.pem", pem("CERTIFICATE", caCert.getEncoded()));
            pki.write("server.pem", pem("CERTIFICATE", serverCert.getEncoded()));
            pki.writeKey("server.key", server.getPrivate());
            pki.write("client.pem", pem("CERTIFICATE", clientCert.getEncoded()));
            pki.writeKey("client.key", client.getPrivate());
            pki.write("untrusted-ca.pem", pem("CERTIFICATE", otherCert.getEncoded()));
            pki.writeKeyStore("server.p12", server.getPrivate(), serverCert, caCert);
            pki.writeKeyStore("server-localhost.p12", named.getPrivate(), namedCert, caCert);
            pki.writeTrustStore("ca.p12", caCert);
            return pki;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("could not make test certificates", e);
        }
    }

    /** The directory holding the files. */
    public Path dir() {
        return dir;
    }

    /** The CA certificate (PEM) that signed the server and client certificates. */
    public Path caCert() {
        return dir.resolve("ca.pem");
    }

    /** A CA certificate (PEM) that signed none of the others: trusting only it must fail. */
    public Path untrustedCaCert() {
        return dir.resolve("untrusted-ca.pem");
    }

    /** The server certificate (PEM), for the IP address 127.0.0.1 only (not {@code localhost}). */
    public Path serverCert() {
        return dir.resolve("server.pem");
    }

    /** The server's private key (PKCS#8 PEM). */
    public Path serverKey() {
        return dir.resolve("server.key");
    }

    /** The client certificate (PEM). */
    public Path clientCert() {
        return dir.resolve("client.pem");
    }

    /** The client's private key (PKCS#8 PEM). */
    public Path clientKey() {
        return dir.resolve("client.key");
    }

    /** The server key and certificate chain as PKCS#12 with password {@link #STORE_PASSWORD}, for Java servers. */
    public Path serverKeyStore() {
        return dir.resolve("server.p12");
    }

    /**
     * A server key and certificate chain for 127.0.0.1 <em>and</em> {@code localhost}, as PKCS#12 with
     * password {@link #STORE_PASSWORD}: for servers whose clients check the name they resolve the
     * address to (ZooKeeper's resolves 127.0.0.1 to {@code localhost}).
     */
    public Path serverKeyStoreWithLocalhost() {
        return dir.resolve("server-localhost.p12");
    }

    /** The CA as a PKCS#12 trust store with password {@link #STORE_PASSWORD}, for Java servers. */
    public Path caTrustStore() {
        return dir.resolve("ca.p12");
    }

    /** The password of the PKCS#12 stores (test material only). */
    public static final String STORE_PASSWORD = "robit-test-store";

    /** EC P-256: every server and client here takes it, and it is made in milliseconds where RSA takes seconds. */
    private static KeyPair ec() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(String cn, KeyPair subject, X509Certificate issuer, PrivateKey issuerKey, boolean ca,
            GeneralNames altNames) throws IOException, GeneralSecurityException, OperatorCreationException {
        Instant now = Instant.now();
        X500Name subjectName = new X500Name("CN=" + cn + ",O=Robit tests");
        X500Name issuerName = issuer == null ? subjectName : X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subjectName, subject.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ca) {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
            builder.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        }
        if (altNames != null) {
            builder.addExtension(Extension.subjectAlternativeName, false, altNames);
        }
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private void write(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text, StandardCharsets.US_ASCII);
    }

    private void writeKey(String name, PrivateKey key) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, pem("PRIVATE KEY", key.getEncoded()), StandardCharsets.US_ASCII);
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // Windows: permissions are not what the servers check there
        }
    }

    private void writeKeyStore(String name, PrivateKey key, X509Certificate cert, X509Certificate ca) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", key, STORE_PASSWORD.toCharArray(), new X509Certificate[] {cert, ca});
        try (var out = Files.newOutputStream(dir.resolve(name))) {
            store.store(out, STORE_PASSWORD.toCharArray());
        }
    }

    private void writeTrustStore(String name, X509Certificate ca) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("ca", ca);
        try (var out = Files.newOutputStream(dir.resolve(name))) {
            store.store(out, STORE_PASSWORD.toCharArray());
        }
    }
}
