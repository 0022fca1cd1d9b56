package dev.converge.model;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Properties;

/** Whether this runtime's h2o-genmodel can read a MOJO: it can when the MOJO was written by the same or an older H2O. */
public final class H2oCompatibility {
    /** The H2O version of this build's h2o-genmodel (the parent POM's {@code h2o.version}). */
    public static final String RUNTIME_H2O_VERSION = runtimeVersion();

    private H2oCompatibility() {}

    public static void check(String mojoVersion, String runtimeVersion, String name, int version) {
        if (compare(mojoVersion, runtimeVersion) > 0) {
            throw new ModelRefusedException(name, version, ModelRefusedException.Reason.INCOMPATIBLE_H2O, "model '"
                    + name + "' v" + version + " was written by H2O " + mojoVersion + ", newer than this server's"
                    + " h2o-genmodel " + runtimeVersion + "; upgrade the server first");
        }
    }

    /** Compares dotted versions numerically, part by part; missing parts are 0, suffixes after digits ignored. */
    public static int compare(String a, String b) {
        int[] x = Arrays.stream(a.split("\\.")).mapToInt(H2oCompatibility::num).toArray();
        int[] y = Arrays.stream(b.split("\\.")).mapToInt(H2oCompatibility::num).toArray();
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Integer.compare(i < x.length ? x[i] : 0, i < y.length ? y[i] : 0);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static int num(String s) {
        try {
            return Integer.parseInt(s.replaceAll("[^0-9].*$", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String runtimeVersion() {
        Properties p = new Properties();
        try (InputStream in = H2oCompatibility.class.getResourceAsStream("/converge-model.properties")) {
            p.load(in);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("converge-model.properties is missing from the model jar", e);
        }
        return p.getProperty("h2o.version");
    }
}
