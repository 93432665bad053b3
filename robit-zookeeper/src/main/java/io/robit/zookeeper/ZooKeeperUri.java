package io.robit.zookeeper;

import io.robit.spi.Secrets;
import io.robit.spi.support.UriParameters;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed {@code zookeeper://[user[:password]@]host:port[,host:port...][/chroot][?sessionTimeout=..&connectionTimeout=..]}
 * with its security options: authentication from the user info, by the digest scheme or by SASL
 * DIGEST-MD5 ({@code auth=digest|sasl}; {@code passwordFile}, {@code passwordEnv} for the password),
 * the ACL of the nodes it creates ({@code acl=creator|open}),
 * and TLS ({@code tls=true}; {@code cacert}, {@code cert}, {@code key} are PEM files). Immutable;
 * {@link #toString()} shows no password.
 *
 * @param connectString the hosts, as ZooKeeper takes them
 * @param namespace the chroot without its leading slash, used as the Curator namespace
 * @param sessionTimeout the session timeout to ask for (the server may negotiate it down or up)
 * @param connectionTimeout how long to wait for the first connection
 * @param credentials the identity {@code user:password} and how it authenticates, or empty
 * @param acl the ACL of the nodes the driver creates
 * @param tls the TLS options, or empty for plain TCP
 * @param tickTime the ensemble's tickTime ({@link ZooKeeperDriver.Builder#serverTickTime}), or empty for the default
 */
record ZooKeeperUri(String connectString, Optional<String> namespace, Duration sessionTimeout, Duration connectionTimeout,
                    Optional<Credentials> credentials, Acl acl, Optional<Tls> tls, Optional<Duration> tickTime) {

    /** A user, its password and how they authenticate; {@link #toString()} masks the password. */
    record Credentials(String user, String password, Auth auth) {
        /** The digest scheme's {@code user:password}. */
        String authorization() {
            return user + ":" + password;
        }

        @Override
        public String toString() {
            return auth.name().toLowerCase(Locale.ROOT) + " " + user + ":" + Secrets.MASK;
        }
    }

    /** How the user of the URI authenticates. */
    enum Auth {
        /** ZooKeeper's digest scheme ({@code addAuthInfo}); the ACL identity is {@code digest:user:hash}. */
        DIGEST,
        /** SASL DIGEST-MD5, for servers with the SASL provider and a JAAS {@code Server} section; the ACL identity is {@code sasl:user}. */
        SASL
    }

    /** The ACL of created nodes. */
    enum Acl {
        /** Only the creating session's identities may read, change or delete (ZooKeeper's CREATOR_ALL_ACL). */
        CREATOR,
        /** Anyone may do anything (OPEN_ACL_UNSAFE): ZooKeeper's default. */
        OPEN
    }

    /** TLS towards the ensemble; the server's chain and host name are verified. */
    record Tls(Optional<Path> caCert, Optional<Path> cert, Optional<Path> key) {
    }

    @Override
    public String toString() {
        return "ZooKeeperUri[" + connectString + namespace.map(n -> "/" + n).orElse("") + credentials.map(c -> ", " + c).orElse("")
                + ", acl " + acl + tls.map(t -> ", " + t).orElse("") + "]";
    }
    static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(30);
    static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(15);

    private static final Pattern HOST = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?");
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m)?");
    private static final String EXAMPLE = "zookeeper://[user:password@]127.0.0.1:2181[,host:port...][/chroot]"
            + "[?sessionTimeout=30s&connectionTimeout=15s&tickTime=2s&auth=digest&acl=creator&tls=true&cacert=ca.pem&cert=c.pem&key=c.key&passwordFile=PATH]";
    private static final String KNOWN = "sessionTimeout, connectionTimeout, tickTime, auth, acl, tls, cacert, cert, key, passwordFile, passwordEnv";

    /**
     * @throws IllegalArgumentException the URI is malformed; the message shows the expected form
     */
    static ZooKeeperUri parse(String uri) {
        return parse(uri, System::getenv);
    }

    static ZooKeeperUri parse(String uri, UnaryOperator<String> environment) {
        if (uri == null) {
            throw new NullPointerException("uri must not be null");
        }
        String text = uri.strip();
        uri = Secrets.redact(uri); // from here on, only for messages
        String scheme = "zookeeper://";
        if (!text.regionMatches(true, 0, scheme, 0, scheme.length())) {
            throw malformed(uri, "it must start with zookeeper://");
        }
        String rest = text.substring(scheme.length());
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String user = null;
        String password = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
            if (user.isEmpty() || user.indexOf(':') >= 0) {
                throw malformed(uri, "the user name is empty or has a ':'");
            }
        }
        String hosts = rest;
        String chroot = "";
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            hosts = rest.substring(0, slash);
            chroot = rest.substring(slash + 1);
        }
        if (hosts.isEmpty()) {
            throw malformed(uri, "it names no host");
        }
        for (String host : hosts.split(",", -1)) {
            if (!HOST.matcher(host).matches()) {
                throw malformed(uri, "'" + host + "' is not host or host:port");
            }
        }
        while (chroot.endsWith("/")) {
            chroot = chroot.substring(0, chroot.length() - 1);
        }
        if (chroot.contains("//") || chroot.startsWith("/")) {
            throw malformed(uri, "the chroot '/" + chroot + "' has an empty segment");
        }
        String shown = uri;
        UriParameters parameters = UriParameters.parse("zookeeper", uri, query.isEmpty() ? null : query);
        Duration session = parameters.take("sessionTimeout").map(v -> duration(shown, "sessionTimeout", v)).orElse(DEFAULT_SESSION_TIMEOUT);
        Duration connection = parameters.take("connectionTimeout").map(v -> duration(shown, "connectionTimeout", v)).orElse(DEFAULT_CONNECTION_TIMEOUT);
        Duration tick = parameters.take("tickTime").map(v -> duration(shown, "tickTime", v)).orElse(null);
        String aclName = parameters.take("acl").orElse(null);
        String authName = parameters.take("auth").orElse(null);
        Boolean tlsParameter = parameters.takeBoolean("tls").orElse(null);
        String caCert = parameters.take("cacert").orElse(null);
        String cert = parameters.take("cert").orElse(null);
        String key = parameters.take("key").orElse(null);
        password = parameters.takePassword(password, environment).orElse(null);
        parameters.rejectUnknown(KNOWN);
        if ((user == null) != (password == null)) {
            throw malformed(uri, user == null ? "a password needs a user: write user@host"
                    : "user '" + user + "' needs a password: user:password@, passwordFile=PATH or passwordEnv=NAME");
        }
        Auth auth = Auth.DIGEST;
        if (authName != null) {
            auth = switch (authName.toLowerCase(Locale.ROOT)) {
                case "digest" -> Auth.DIGEST;
                case "sasl" -> Auth.SASL;
                default -> throw malformed(uri, "auth '" + authName + "' must be digest or sasl");
            };
            if (user == null) {
                throw malformed(uri, "auth=" + authName + " needs a user: user:password@, or user@ with passwordFile or passwordEnv");
            }
        }
        Optional<Credentials> credentials = user == null ? Optional.empty() : Optional.of(new Credentials(user, password, auth));
        Acl acl = credentials.isPresent() ? Acl.CREATOR : Acl.OPEN;
        if (aclName != null) {
            acl = switch (aclName.toLowerCase(Locale.ROOT)) {
                case "creator" -> Acl.CREATOR;
                case "open" -> Acl.OPEN;
                default -> throw malformed(uri, "acl '" + aclName + "' must be creator or open");
            };
        }
        if (acl == Acl.CREATOR && credentials.isEmpty() && cert == null) {
            throw malformed(uri, "acl=creator needs an identity: user:password@ (digest or SASL) or a client certificate (cert, key)");
        }
        if ((cert == null) != (key == null)) {
            throw malformed(uri, "cert and key go together (the client certificate and its key)");
        }
        boolean useTls = Boolean.TRUE.equals(tlsParameter) || (tlsParameter == null && (caCert != null || cert != null));
        if (!useTls && (caCert != null || cert != null)) {
            throw malformed(uri, "cacert, cert and key need tls=true");
        }
        if (useTls && caCert == null) {
            throw malformed(uri, "tls=true needs cacert=PEM, the CA that signed the servers' certificates");
        }
        Optional<Tls> tls = useTls
                ? Optional.of(new Tls(file(uri, "cacert", caCert), file(uri, "cert", cert), file(uri, "key", key)))
                : Optional.empty();
        return new ZooKeeperUri(hosts, chroot.isEmpty() ? Optional.empty() : Optional.of(chroot), session, connection, credentials, acl, tls,
                Optional.ofNullable(tick));
    }

    private static Optional<Path> file(String uri, String name, String path) {
        if (path == null) {
            return Optional.empty();
        }
        if (path.isBlank() || !Files.isReadable(Path.of(path))) {
            throw malformed(uri, name + " file '" + path + "' does not exist or cannot be read");
        }
        return Optional.of(Path.of(path));
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }

    private static Duration duration(String uri, String key, String value) {
        Matcher m = DURATION.matcher(value.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw malformed(uri, key + " '" + value + "' is not a duration such as 1500ms, 30s or 2m");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        Duration d = switch (unit) {
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofMillis(amount);
        };
        if (d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
            throw malformed(uri, key + " '" + value + "' must be positive and below 24 days");
        }
        return d;
    }

    private static IllegalArgumentException malformed(String uri, String why) {
        return new IllegalArgumentException("malformed ZooKeeper URI '" + uri + "': " + why + "; expected " + EXAMPLE);
    }
}
