package dev.starling.peer.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** Reads the version Maven wrote into {@code starling-version.properties} at build time. */
public final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("/starling-version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        }
        return new String[] {
            "starling " + properties.getProperty("version", "unknown"),
            "JVM " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")"
        };
    }
}
