package dev.converge.model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** What a MOJO says about itself in its {@code model.ini}: the H2O version that wrote it and its MOJO version. */
public record MojoInfo(String h2oVersion, String mojoVersion, String algorithm) {
    public static MojoInfo read(Path mojo) throws IOException {
        try (ZipFile zip = new ZipFile(mojo.toFile())) {
            ZipEntry ini = zip.getEntry("model.ini");
            if (ini == null) {
                throw new IOException(mojo + " is not a MOJO: it has no model.ini");
            }
            return parse(zip.getInputStream(ini), mojo.toString());
        }
    }

    /** Reads {@code model.ini} from a MOJO's bytes; {@code source} names it in messages. */
    public static MojoInfo read(byte[] mojo, String source) throws IOException {
        try (java.util.zip.ZipInputStream zip = new java.util.zip.ZipInputStream(
                new java.io.ByteArrayInputStream(mojo))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.getName().equals("model.ini")) {
                    return parse(zip, source);
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new IOException(source + " is not a MOJO: " + e.getMessage(), e);
        }
        throw new IOException(source + " is not a MOJO: it has no model.ini");
    }

    private static MojoInfo parse(java.io.InputStream iniStream, String mojo) throws IOException {
        String h2o = null;
        String version = null;
        String algo = null;
        BufferedReader r = new BufferedReader(new InputStreamReader(iniStream, StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
            int eq = line.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String key = line.substring(0, eq).trim();
            String value = line.substring(eq + 1).trim();
            switch (key) {
                case "h2o_version" -> h2o = value;
                case "mojo_version" -> version = value;
                case "algorithm" -> algo = value;
                default -> { }
            }
        }
        if (h2o == null || version == null) {
            throw new IOException(mojo + ": model.ini lacks h2o_version or mojo_version");
        }
        return new MojoInfo(h2o, version, algo);
    }
}
