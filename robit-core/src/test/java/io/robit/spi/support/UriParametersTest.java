package io.robit.spi.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UriParametersTest {
    private static final String URI = "etcd://u:secret@h:2379?timeout=5s";

    private static UriParameters query(String query) {
        return UriParameters.parse("etcd", "etcd://u:secret@h?" + query, query);
    }

    @Test
    void durationsInShortAndIsoForms() {
        assertThat(UriParameters.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(UriParameters.parseDuration("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(UriParameters.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(UriParameters.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(UriParameters.parseDuration("PT1.5S")).isEqualTo(Duration.ofMillis(1500));
        assertThatThrownBy(() -> UriParameters.parseDuration("5 seconds")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected e.g. 500ms, 5s, 1m or PT5S");
        assertThatThrownBy(() -> UriParameters.parseDuration("5d")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void takesTypedParametersAndNamesTheUriWithoutItsPassword() {
        UriParameters p = query("timeout=250ms&TLS&retries=3&prefix=a%2Fb");
        assertThat(p.takeDuration("timeout")).contains(Duration.ofMillis(250));
        assertThat(p.takeBoolean("tls")).as("any case; no value means true").contains(true);
        assertThat(p.takeInt("retries", 0, 10)).contains(3);
        assertThat(p.take("prefix")).contains("a/b");
        assertThat(p.take("missing")).isEmpty();
        assertThat(p.rest()).isEmpty();
        p.rejectUnknown("timeout, tls");
        assertThatThrownBy(() -> query("timeout=0s").takeDuration("timeout"))
                .hasMessage("etcd uri 'etcd://u:****@h?timeout=0s' has timeout '0s': timeout must be positive, got PT0S");
        assertThatThrownBy(() -> query("tls=yes").takeBoolean("tls")).hasMessageEndingWith("has tls 'yes'; expected true or false");
        assertThatThrownBy(() -> query("retries=11").takeInt("retries", 0, 10)).hasMessageEndingWith("has retries 11; expected 0 to 10");
        assertThatThrownBy(() -> query("retries=x").takeInt("retries", 0, 10)).hasMessageContaining("expected a whole number");
        assertThatThrownBy(() -> query("cacert=").takeNonEmpty("cacert", "a PEM file path")).hasMessageEndingWith("has an empty cacert; give a PEM file path");
    }

    @Test
    void unknownParametersAreRefusedOrPassedOn() {
        UriParameters p = query("prefix=x&sslMode=require&Other=1");
        p.take("prefix");
        assertThat(p.rest()).isEqualTo(Map.of("sslMode", "require", "Other", "1")).containsKeys("sslMode", "Other");
        assertThatThrownBy(() -> p.rejectUnknown("prefix")).hasMessageEndingWith("has unknown parameter 'sslMode'; known: prefix");
        assertThatThrownBy(() -> query("a=1&A=2")).hasMessageEndingWith("gives the parameter 'A' twice");
        assertThat(UriParameters.parse("etcd", URI, null).rest()).isEmpty();
    }

    @Test
    void passwordsFromOnePlace(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("pw");
        Files.writeString(file, "from-file\n");
        assertThat(query("passwordFile=" + file).takePassword(null, name -> null)).contains("from-file");
        assertThat(query("passwordEnv=PW").takePassword(null, name -> name.equals("PW") ? "from-env" : null)).contains("from-env");
        assertThat(query("").takePassword("literal", name -> null)).contains("literal");
        assertThat(query("").takePassword(null, name -> null)).isEmpty();
        assertThatThrownBy(() -> query("passwordEnv=PW").takePassword("literal", name -> "x")).hasMessageContaining("one way only")
                .hasMessageStartingWith("etcd uri 'etcd://u:****@h?passwordEnv=PW': ");
        assertThatThrownBy(() -> query("passwordEnv=NOPE").takePassword(null, name -> null)).hasMessageContaining("'NOPE', which is not set");
    }

    @Test
    void hostLists() {
        UriParameters p = UriParameters.parse("etcd", URI, null);
        assertThat(p.hostPorts("a,b:2380,[::1]", 2379)).isEqualTo(List.of("a:2379", "b:2380", "[::1]:2379"));
        assertThat(p.hostPorts("a,b:2181", 0)).isEqualTo(List.of("a", "b:2181"));
        assertThatThrownBy(() -> p.hostPorts("a,,b", 1)).hasMessageEndingWith("has a bad host ''; expected host[:port]");
        assertThatThrownBy(() -> p.hostPorts("a:70000", 1)).hasMessageEndingWith("has port 70000 out of range 1..65535");
        assertThatThrownBy(() -> p.hostPorts("", 1)).hasMessageEndingWith("names no host");
    }
}
