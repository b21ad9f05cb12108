package dev.bitsbridge.cli;

import dev.bitsbridge.proxy.server.BitsBridgeServer;
import picocli.CommandLine.IVersionProvider;

/** The version from the jar manifest (Implementation-Version), as built by Maven. */
public final class ManifestVersionProvider implements IVersionProvider {

    @Override
    public String[] getVersion() {
        String v = BitsBridgeCli.class.getPackage().getImplementationVersion();
        if (v == null) {
            v = BitsBridgeServer.version();
        }
        return new String[] {"bitsbridge " + v, "Java " + System.getProperty("java.version") + " ("
                + System.getProperty("java.vendor") + ")"};
    }
}
