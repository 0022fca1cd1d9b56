package dev.converge.contracts.config;

import java.nio.file.Path;

/**
 * Where converge keeps what it makes on a machine (the embedded PostgreSQL's data, artifacts, training work):
 * {@code $HOME/.converge}. {@code $HOME} as the shell has it, which is what {@code ~} means to the person reading the
 * help; the JVM's {@code user.home} (the account's home from the password database, whatever {@code $HOME} says)
 * only when {@code HOME} is not set.
 */
public final class ConvergeHome {
    private ConvergeHome() {
    }

    public static Path dir() {
        String home = System.getenv("HOME");
        return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".converge");
    }
}
