package dev.bitsbridge.proxy.config;

/**
 * A configuration the proxy cannot run with. The message is one line that names the option and
 * says what to do; the launcher prints it and exits 2.
 */
public final class ConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
