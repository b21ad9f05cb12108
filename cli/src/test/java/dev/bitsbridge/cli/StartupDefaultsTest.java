package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The system properties the launcher's main sets before Netty reads them: leak sampling and
 * Netty's JFR buffer events off (both cost the first request and every request after), Basic
 * proxy authentication for tunnels on; each only when the operator has not set it with -D.
 */
class StartupDefaultsTest {

    private static final String[] NAMES = {"io.netty.leakDetection.level", "io.netty.jfr.enabled",
        "jdk.http.auth.tunneling.disabledSchemes"};
    private final Map<String, String> saved = new HashMap<>();

    @BeforeEach
    void save() {
        for (String n : NAMES) {
            saved.put(n, System.getProperty(n));
            System.clearProperty(n);
        }
    }

    @AfterEach
    void restore() {
        saved.forEach((n, v) -> {
            if (v == null) {
                System.clearProperty(n);
            } else {
                System.setProperty(n, v);
            }
        });
    }

    @Test
    void nettyJfrEventsAndLeakSamplingAreOffUnlessAsked() {
        BitsBridgeCli.jvmDefaults();
        assertEquals("false", System.getProperty("io.netty.jfr.enabled"));
        assertEquals("disabled", System.getProperty("io.netty.leakDetection.level"));
        assertEquals("", System.getProperty("jdk.http.auth.tunneling.disabledSchemes"));
    }

    @Test
    void anOperatorsSettingWins() {
        System.setProperty("io.netty.jfr.enabled", "true");
        System.setProperty("io.netty.leakDetection.level", "paranoid");
        BitsBridgeCli.jvmDefaults();
        assertEquals("true", System.getProperty("io.netty.jfr.enabled"));
        assertEquals("paranoid", System.getProperty("io.netty.leakDetection.level"));
    }
}
