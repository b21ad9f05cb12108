package dev.bitsbridge.proxy.upstream;

import io.netty.resolver.AbstractAddressResolver;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves upstream host names like Netty's default resolver (the JDK's {@link InetAddress}, on
 * the event loop), then applies an {@link AddressCheck} to the result; the connect uses the
 * checked address itself, so nothing is resolved twice. Of several addresses, the first allowed
 * one is used; if none is, the connect fails with the check's reason.
 *
 * <p>Thread-safe; one resolver per event loop, as {@link AddressResolverGroup} arranges.
 */
final class CheckedResolverGroup extends AddressResolverGroup<InetSocketAddress> {

    private final UpstreamEndpoint endpoint;
    private final AddressCheck check;

    CheckedResolverGroup(UpstreamEndpoint endpoint, AddressCheck check) {
        this.endpoint = endpoint;
        this.check = check;
    }

    @Override
    protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
        return new AbstractAddressResolver<InetSocketAddress>(executor, InetSocketAddress.class) {
            @Override
            protected boolean doIsResolved(InetSocketAddress address) {
                return !address.isUnresolved();
            }

            @Override
            protected void doResolve(InetSocketAddress unresolved, Promise<InetSocketAddress> promise) {
                try {
                    List<InetSocketAddress> ok = allowed(unresolved);
                    promise.setSuccess(ok.get(0));
                } catch (Exception e) {
                    promise.setFailure(e);
                }
            }

            @Override
            protected void doResolveAll(InetSocketAddress unresolved, Promise<List<InetSocketAddress>> promise) {
                try {
                    promise.setSuccess(allowed(unresolved));
                } catch (Exception e) {
                    promise.setFailure(e);
                }
            }
        };
    }

    private List<InetSocketAddress> allowed(InetSocketAddress unresolved) throws UnknownHostException,
            ConnectException {
        InetAddress[] all = unresolved.isUnresolved() ? InetAddress.getAllByName(unresolved.getHostString())
                : new InetAddress[] {unresolved.getAddress()};
        List<InetSocketAddress> ok = new ArrayList<>();
        String refusal = null;
        for (InetAddress a : all) {
            String r = check.refusal(endpoint, a);
            if (r == null) {
                ok.add(new InetSocketAddress(a, unresolved.getPort()));
            } else if (refusal == null) {
                refusal = r;
            }
        }
        if (ok.isEmpty()) {
            throw new AddressRefusedException(refusal == null ? "no address for " + endpoint.host() : refusal);
        }
        return ok;
    }

    /** The check refused every address the name resolved to. */
    static final class AddressRefusedException extends ConnectException {
        AddressRefusedException(String message) {
            super(message);
        }
    }
}
