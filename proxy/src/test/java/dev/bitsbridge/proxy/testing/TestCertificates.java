package dev.bitsbridge.proxy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A CA certificate for tests that need a well-formed CA bundle file but no TLS peer (option
 * checks, config show). Self-signed EC P-256, valid until 2126; its private key was discarded, so
 * trusting it lets nothing in. Tests that talk TLS make their own pair with keytool.
 */
public final class TestCertificates {

    public static final String CA_PEM = ""
            + "-----BEGIN CERTIFICATE-----\n"
            + "MIIBkTCCATegAwIBAgIUPL93kwTu1a+B1nn1RNICIvayK9MwCgYIKoZIzj0EAwIw\n"
            + "HTEbMBkGA1UEAwwSYml0c2JyaWRnZSB0ZXN0IENBMCAXDTI2MTIwMTEyNTEwNFoY\n"
            + "DzIxMjYxMTA3MTI1MTA0WjAdMRswGQYDVQQDDBJiaXRzYnJpZGdlIHRlc3QgQ0Ew\n"
            + "WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAR4j4WY87ETqcu0416RGRLxQG5GozfV\n"
            + "QSmPJzsl1oecSwQgfvp3w32xQ6RYPh7mxWdxNJH5jfNh+Mj8Nds/htqqo1MwUTAd\n"
            + "BgNVHQ4EFgQUjjyzp/q1N4ealKhS3xvCusPsZvkwHwYDVR0jBBgwFoAUjjyzp/q1\n"
            + "N4ealKhS3xvCusPsZvkwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF\n"
            + "AiAJuiJzIr/3rscZ/nrNNz+/TgM6eqBWIOYzsa5z12HZlAIhALHs/qQr1d+6XYvA\n"
            + "c2IslJGIdgLmSFBQ68qP7Zvat20u\n"
            + "-----END CERTIFICATE-----\n";

    private TestCertificates() {
    }

    /** Writes {@link #CA_PEM} to {@code file} and returns it. */
    public static Path caBundle(Path file) throws IOException {
        return Files.writeString(file, CA_PEM);
    }
}
