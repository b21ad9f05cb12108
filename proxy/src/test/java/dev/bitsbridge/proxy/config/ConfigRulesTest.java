package dev.bitsbridge.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The one place configuration rules live: each broken rule is one line naming the option. */
class ConfigRulesTest {

    private static String refusal(UnaryOperator<ProxyConfig.Builder> b) {
        ConfigException e = assertThrows(ConfigException.class, () -> b.apply(ProxyConfig.builder()).build().validate());
        assertTrue(e.getMessage().indexOf('\n') < 0, "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void durationsPrintTheWayTheyAreWritten() {
        assertEquals("10s", Durations.format(Duration.ofSeconds(10)));
        assertEquals("1500ms", Durations.format(Duration.ofMillis(1500)));
        assertEquals("2m", Durations.format(Duration.ofMinutes(2)));
        assertEquals("7d", Durations.format(Duration.ofDays(7)));
        assertEquals("0s", Durations.format(Duration.ZERO));
        for (String s : new String[] {"10s", "1500ms", "2m", "36h", "7d"}) {
            assertEquals(Durations.parse(s), Durations.parse(Durations.format(Durations.parse(s))));
        }
    }

    @Test
    void defaultsAreValid() {
        ProxyConfig c = ProxyConfig.builder().build();
        assertEquals(c, c.validate());
    }

    @Test
    void caBundleMustHoldCertificatesAndStateDirMustBeAFolder(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path key = java.nio.file.Files.writeString(dir.resolve("key.pem"),
                "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
        assertTrue(refusal(b -> b.caBundle(key)).endsWith("holds no PEM certificate (-----BEGIN CERTIFICATE-----);"
                + " it looks like a private key"));
        Path broken = java.nio.file.Files.writeString(dir.resolve("broken.pem"),
                "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n");
        assertTrue(refusal(b -> b.caBundle(broken)).contains("cannot be parsed"));
        Path file = java.nio.file.Files.writeString(dir.resolve("afile"), "x");
        assertTrue(refusal(b -> b.stateDir(file)).equals("--state-dir " + file
                + " is a file; it must be a folder (or not exist yet)"));
    }

    @Test
    void eachRuleNamesItsOption() {
        assertTrue(refusal(b -> b.port(70000)).startsWith("--port must be between 0 and 65535"));
        assertTrue(refusal(b -> b.endpoint(URI.create("ftp://x"))).startsWith("--endpoint must be an http://"));
        assertTrue(refusal(b -> b.bucket("s3://b")).startsWith("--bucket takes the bucket's name only"));
        assertTrue(refusal(b -> b.accelerate(true).endpoint(URI.create("http://x"))).contains("--accelerate"));
        assertTrue(refusal(b -> b.accelerate(true).bucket("my.bucket")).contains("without dots"));
        assertTrue(refusal(b -> b.caBundle(Path.of("/nonexistent/ca.pem"))).contains("/nonexistent/ca.pem"));
        assertTrue(refusal(b -> b.urlVendor(URI.create("http://v")).bucket("bkt")).contains("cannot be combined"));
        assertTrue(refusal(b -> b.urlVendorHeaders(List.of("novalue"))).contains("--url-vendor-header"));
        assertTrue(refusal(b -> b.allowUpload(true)).startsWith("--allow-upload needs --bucket"));
        assertTrue(refusal(b -> b.allowUpload(true).bucket("bkt")).contains("--state-dir"));
        assertTrue(refusal(b -> b.uploadPartSize(1024)).startsWith("--upload-part-size must be at least 5M"));
        assertTrue(refusal(b -> b.requireToken(true)).startsWith("--require-token needs a state folder"));
        assertTrue(refusal(b -> b.shareSpentMarkers(true)).startsWith("--share-spent-markers needs --bucket"));
        assertTrue(refusal(b -> b.maxConnections(0)).startsWith("--max-connections must be positive"));
        assertTrue(refusal(b -> b.idleTimeout(Duration.ZERO)).startsWith("--idle-timeout must be longer than zero"));
        assertTrue(refusal(b -> b.ioThreads(-1)).startsWith("--io-threads"));
    }
}
