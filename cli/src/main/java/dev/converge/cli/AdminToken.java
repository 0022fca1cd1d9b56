package dev.converge.cli;

import picocli.CommandLine.Option;

/** The admin token, for the checks that change what a server serves. */
final class AdminToken {
    @Option(names = "--token", description = "the admin token (default: CONVERGE_SERVE_ADMIN_TOKEN)")
    String token;

    /** --token, else CONVERGE_SERVE_ADMIN_TOKEN, else null (a server that has one refuses the call). */
    String value() {
        return token != null ? token : System.getenv("CONVERGE_SERVE_ADMIN_TOKEN");
    }
}
