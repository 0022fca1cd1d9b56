package dev.converge.cli;

import picocli.CommandLine.Option;

/** The running server a check command talks to. */
final class ServerTarget {
    @Option(names = "--url", required = true, description = "the server, e.g. http://127.0.0.1:8080 (loopback only)")
    String url;

    /** The URL without a trailing slash. */
    String baseUrl() {
        return url.replaceAll("/+$", "");
    }
}
