package dev.bitsbridge.proxy.startup;

/**
 * The outcome of one start-up check: what was checked, how it went, and one line saying what was
 * found or, for a failure, what happened and what to do. Never holds a secret.
 */
public record CheckResult(String name, Status status, String detail) {

    public enum Status {
        /** Checked and fine. */
        OK,
        /** Works, but probably not as intended; the proxy starts. */
        WARN,
        /** The proxy cannot serve with this setup; {@code serve} exits 2. */
        FAIL,
        /** Not applicable to this setup, or not checked because an earlier check failed. */
        SKIPPED
    }

    public static CheckResult ok(String name, String detail) {
        return new CheckResult(name, Status.OK, detail);
    }

    public static CheckResult warn(String name, String detail) {
        return new CheckResult(name, Status.WARN, detail);
    }

    public static CheckResult fail(String name, String detail) {
        return new CheckResult(name, Status.FAIL, detail);
    }

    public static CheckResult skipped(String name, String detail) {
        return new CheckResult(name, Status.SKIPPED, detail);
    }

    public boolean failed() {
        return status == Status.FAIL;
    }
}
