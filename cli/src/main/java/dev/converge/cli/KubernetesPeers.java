package dev.converge.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;

/**
 * H2O's Kubernetes discovery, done the way H2O's own provider does it: resolve the headless service
 * ({@code H2O_KUBERNETES_SERVICE_DNS}) until {@code H2O_NODE_EXPECTED_COUNT} pods answer or
 * {@code H2O_NODE_LOOKUP_TIMEOUT} seconds pass, then hand H2O a flatfile of their addresses. H2O forms the cloud;
 * nothing here does clustering of its own.
 */
record KubernetesPeers(List<String> addresses, int expected, int port, String self) {
    static KubernetesPeers fromEnvironment(String dns, int port) {
        int expected = Integer.parseInt(System.getenv().getOrDefault("H2O_NODE_EXPECTED_COUNT", "1"));
        long deadline = System.currentTimeMillis()
                + 1000L * Integer.parseInt(System.getenv().getOrDefault("H2O_NODE_LOOKUP_TIMEOUT", "180"));
        TreeSet<String> found = new TreeSet<>();
        while (System.currentTimeMillis() < deadline) {
            found.clear();
            try {
                for (InetAddress a : InetAddress.getAllByName(dns)) {
                    found.add(a.getHostAddress());
                }
            } catch (UnknownHostException e) {
                // the service has no ready pods yet
            }
            if (found.size() >= expected) {
                break;
            }
            try {
                Thread.sleep(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (found.size() < expected) {
            throw new IllegalStateException("Kubernetes discovery: " + dns + " resolved to " + found.size()
                    + " pod(s), " + expected + " expected (H2O_NODE_EXPECTED_COUNT)");
        }
        String self;
        try {
            self = InetAddress.getLocalHost().getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot tell this pod's address", e);
        }
        return new KubernetesPeers(List.copyOf(found), expected, port, self);
    }

    Path writeFlatfile(Path dir) {
        try {
            Files.createDirectories(dir);
            Path f = dir.resolve("flatfile");
            StringBuilder sb = new StringBuilder();
            for (String a : addresses) {
                sb.append(a).append(':').append(port).append('\n'); // H2O identifies members by their -port
            }
            Files.writeString(f, sb.toString());
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the H2O flatfile", e);
        }
    }
}
