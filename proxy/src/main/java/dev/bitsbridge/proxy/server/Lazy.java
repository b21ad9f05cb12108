package dev.bitsbridge.proxy.server;

import java.util.concurrent.Callable;

/**
 * A value computed once, on first {@link #get()}, by whichever thread gets there first; the others
 * wait for it. A failure is remembered and rethrown (unchecked) to every caller.
 */
final class Lazy<T> implements java.util.function.Supplier<T> {

    private final Callable<T> compute;
    private T value;
    private RuntimeException failure;
    private boolean done;

    Lazy(Callable<T> compute) {
        this.compute = compute;
    }

    @Override
    public synchronized T get() {
        if (!done) {
            try {
                value = compute.call();
            } catch (RuntimeException e) {
                failure = e;
            } catch (Exception e) {
                failure = new IllegalStateException(e.getMessage(), e);
            }
            done = true;
        }
        if (failure != null) {
            throw failure;
        }
        return value;
    }
}
