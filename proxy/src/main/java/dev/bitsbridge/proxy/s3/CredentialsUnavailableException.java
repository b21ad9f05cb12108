package dev.bitsbridge.proxy.s3;

/**
 * The AWS credentials could not be loaded or refreshed. The message names the cause in words safe
 * for a client and a log (it never contains key material).
 */
public final class CredentialsUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CredentialsUnavailableException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
