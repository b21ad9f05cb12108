package dev.bitsbridge.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which upstream requests go through which forward proxy, and how proxy URLs are read. */
class ProxyRoutesTest {

    @Test
    void aProxyUrlIsReadWithItsCredentialsWhichNeverShow() {
        OutboundProxy p = OutboundProxy.parse("http://alice:s%40cret@proxy.corp:3128", "HTTPS_PROXY");
        assertEquals("proxy.corp", p.host());
        assertEquals(3128, p.port());
        assertEquals("alice", p.user());
        assertEquals("s@cret", p.password());
        assertEquals("Basic YWxpY2U6c0BjcmV0", p.authorization());
        assertEquals("http://proxy.corp:3128 (with credentials)", p.toString());
        assertFalse(p.display().contains("cret"));
        assertEquals(80, OutboundProxy.parse("proxy.corp", "x").port(), "no scheme: http, port 80");
        assertNull(OutboundProxy.parse("http://proxy.corp:8080/", "x").authorization());
    }

    @Test
    void badProxyUrlsNameTheOptionAndNotThePassword() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> OutboundProxy.parse("https://bob:hunter2@proxy:443", "--upstream-proxy"));
        assertTrue(e.getMessage().startsWith("--upstream-proxy must be an http://"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"));
        assertThrows(ConfigException.class, () -> OutboundProxy.parse("http://proxy:3128/path", "x"));
        assertThrows(ConfigException.class, () -> OutboundProxy.parse("http://:3128", "x"));
    }

    @Test
    void theEnvironmentIsReadInEitherCaseLowerWinning() {
        ProxyRoutes r = ProxyRoutes.fromEnvironment(Map.of("HTTPS_PROXY", "http://upper:1", "https_proxy",
                "http://lower:2", "HTTP_PROXY", "http://plain:3", "NO_PROXY", "internal.corp, 10.1.2.3"));
        assertEquals("lower", r.https().host());
        assertEquals("plain", r.http().host());
        assertEquals(List.of("internal.corp", "10.1.2.3"), r.noProxy());
        assertFalse(ProxyRoutes.fromEnvironment(Map.of()).enabled());
    }

    @Test
    void theOptionsWinOverTheEnvironment() {
        Map<String, String> env = Map.of("HTTPS_PROXY", "http://env:1", "NO_PROXY", "env.lan");
        ProxyRoutes explicit = ProxyRoutes.choose("http://opt:2", List.of("opt.lan"), env);
        assertEquals("opt", explicit.https().host());
        assertEquals("opt", explicit.http().host(), "--upstream-proxy serves both schemes");
        assertEquals(List.of("opt.lan"), explicit.noProxy());
        ProxyRoutes fromEnv = ProxyRoutes.choose(null, null, env);
        assertEquals("env", fromEnv.https().host());
        assertNull(fromEnv.http());
        assertEquals(List.of("env.lan"), fromEnv.noProxy());
        assertEquals(List.of(), ProxyRoutes.choose("http://opt:2", List.of(), env).noProxy(),
                "an empty --no-proxy clears NO_PROXY");
    }

    @Test
    void eachSchemeHasItsProxy() {
        OutboundProxy tls = OutboundProxy.parse("http://tls:1", "x");
        ProxyRoutes r = new ProxyRoutes(tls, null, List.of());
        assertSame(tls, r.route(true, "s3.amazonaws.com", 443));
        assertNull(r.route(false, "minio.local", 9000), "no HTTP_PROXY: plain http goes direct");
    }

    @Test
    void noProxyMatchesHostsSuffixesPortsAndStar() {
        ProxyRoutes r = ProxyRoutes.of(OutboundProxy.parse("http://p:1", "x"),
                List.of("example.com", ".corp.net", "*.lan", "10.0.0.5", "minio:9000", "[::1]"));
        assertTrue(r.bypassed("example.com", 443));
        assertTrue(r.bypassed("s3.example.com", 443), "a name covers its subdomains");
        assertFalse(r.bypassed("notexample.com", 443), "but not names that merely end alike");
        assertTrue(r.bypassed("a.corp.net", 80));
        assertTrue(r.bypassed("corp.net", 80));
        assertTrue(r.bypassed("nas.lan", 80));
        assertTrue(r.bypassed("10.0.0.5", 443));
        assertFalse(r.bypassed("10.0.0.50", 443));
        assertTrue(r.bypassed("minio", 9000));
        assertFalse(r.bypassed("minio", 9001), "an entry with a port matches that port only");
        assertTrue(r.bypassed("::1", 80));
        assertTrue(r.bypassed("EXAMPLE.COM", 443), "case does not matter");
        assertNull(r.route(true, "bucket.s3.example.com", 443));
        assertTrue(ProxyRoutes.of(OutboundProxy.parse("http://p:1", "x"), List.of("*")).bypassed("any", 1));
    }
}
