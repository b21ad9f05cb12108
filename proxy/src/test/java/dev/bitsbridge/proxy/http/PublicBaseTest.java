package dev.bitsbridge.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PublicBaseTest {

    @Test
    void withoutPublicHostsTheClientsHostIsTheBase() {
        PublicBase b = new PublicBase(List.of(), () -> 8080);
        assertEquals("http://127.0.0.1:8080", b.of("127.0.0.1:8080"));
        assertEquals("http://127.0.0.1", b.of(null));
    }

    @Test
    void withPublicHostsOnlyAConfiguredNameIsHandedOut() {
        PublicBase b = new PublicBase(List.of("files.example.lan", "mirror.lan"), () -> 8080);
        assertEquals("http://files.example.lan:8080", b.of("localhost:8080"), "minted on the box itself");
        assertEquals("http://files.example.lan:8080", b.of("[::1]:8080"));
        assertEquals("http://Mirror.lan:9443", b.of("Mirror.lan:9443"), "a configured name keeps its port");
        assertEquals("http://files.example.lan", new PublicBase(List.of("files.example.lan"), () -> 80).of("127.0.0.1"));
    }
}
