package dev.converge.serve.config;

import dev.converge.contracts.config.Settings;

/**
 * TLS terminated by the server itself ({@code serve.tls.cert} and {@code serve.tls.key}, PEM files), for
 * deployments without an ingress; HTTP/2 and HTTP/1.1 are offered by ALPN. Null: plain HTTP.
 */
public record TlsSettings(String certPath, String keyPath) {
    public TlsSettings {
        Checks.require(certPath != null && keyPath != null, "serve.tls.cert and serve.tls.key go together: give both"
                + " PEM files, or neither for plain HTTP");
        for (String[] f : new String[][] {{"serve.tls.cert", certPath}, {"serve.tls.key", keyPath}}) {
            Checks.require(java.nio.file.Files.isReadable(java.nio.file.Path.of(f[1])), f[0] + ": cannot read '" + f[1]
                    + "' (a PEM file)");
        }
    }

    public static TlsSettings from(Settings s) {
        String cert = s.string("serve.tls.cert").orElse(null);
        String key = s.string("serve.tls.key").orElse(null);
        return cert == null && key == null ? null : new TlsSettings(cert, key);
    }
}
