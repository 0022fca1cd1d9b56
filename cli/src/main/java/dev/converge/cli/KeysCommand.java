package dev.converge.cli;

import dev.converge.registry.ApiKeys;
import dev.converge.store.Database;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "keys", mixinStandardHelpOptions = true,
        description = "API keys: who may predict, read features, label, read and operate (docs/security.md).",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class,
                KeysCommand.Rotate.class})
final class KeysCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = {"Create a key and print it once: only"
            + " a salted hash is kept.", "Scopes: predict, features:read, feedback, read, admin."})
    static final class Create implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Option(names = "--name", required = true, description = "Who or what holds the key (a service, a person).")
        String name;

        @Option(names = "--scopes", required = true, split = ",", description = "What the key may do, separated by"
                + " commas.")
        List<String> scopes;

        @Option(names = "--models", split = ",", description = "Limit predict to these models (default: all).")
        List<String> models;

        @Option(names = "--expires", paramLabel = "DURATION", description = "Expire after this long: 90d, 12h, 30m.")
        String expires;

        @Option(names = "--rate", paramLabel = "N/s", description = "At most N requests a second (each server;"
                + " beyond it 429 with Retry-After).")
        String rate;

        @Option(names = "--actor", description = "Who creates it (default: the OS user).")
        String actor;

        @Override
        public Integer call() throws Exception {
            Integer perSecond = rate == null ? null : rate(rate);
            Instant expiresAt = expires == null ? null : Instant.now().plus(duration(expires));
            try (Database d = db.open(System.err)) {
                ApiKeys.Created c = new ApiKeys(d.dataSource()).create(name, scopes, models, expiresAt, perSecond,
                        ModelsCommand.actor(actor));
                System.out.println(c.key());
                System.err.println("Key " + c.stored().id() + " ('" + name + "') created with scopes " + scopes
                        + (models == null ? "" : ", predicting only with " + models) + (expiresAt == null ? ""
                        : ", expiring at " + expiresAt) + (perSecond == null ? "" : ", at most " + perSecond
                        + " requests a second") + ". It is shown this once: store it now. Servers load it"
                        + " at once (a server started with no key stays open until it is restarted).");
            }
            return 0;
        }
    }

    static int rate(String text) {
        if (!text.matches("[1-9][0-9]{0,6}(/s)?")) {
            throw new IllegalArgumentException("--rate must be requests a second, as 500/s, was '" + text + "'");
        }
        return Integer.parseInt(text.endsWith("/s") ? text.substring(0, text.length() - 2) : text);
    }

    static Duration duration(String text) {
        return duration(text, "--expires");
    }

    static Duration duration(String text, String option) {
        if (!text.matches("[1-9][0-9]{0,5}[dhm]")) {
            throw new IllegalArgumentException(option + " must be a number and d, h or m (90d, 12h, 30m), was '"
                    + text + "'");
        }
        long n = Long.parseLong(text.substring(0, text.length() - 1));
        return switch (text.charAt(text.length() - 1)) {
            case 'd' -> Duration.ofDays(n);
            case 'h' -> Duration.ofHours(n);
            default -> Duration.ofMinutes(n);
        };
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the keys (never their secrets).")
    static final class ListKeys implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Override
        public Integer call() throws Exception {
            try (Database d = db.open(System.err)) {
                List<ApiKeys.Key> keys = new ApiKeys(d.dataSource()).all();
                if (keys.isEmpty()) {
                    System.out.println("No keys (converge keys create makes one).");
                }
                Instant now = Instant.now();
                for (ApiKeys.Key k : keys) {
                    String state = k.revokedAt() != null ? "revoked " + k.revokedAt() : k.live(now)
                            ? (k.expiresAt() == null ? "live" : "live until " + k.expiresAt())
                            : "expired " + k.expiresAt();
                    System.out.printf("%s  %-24s %-40s %s  created %s by %s%n", k.id(), k.name(),
                            String.join(",", k.scopes()) + (k.models() == null ? "" : " models=" + String.join(",",
                                    k.models())) + (k.ratePerSecond() == null ? "" : " rate=" + k.ratePerSecond()
                                    + "/s"), state, k.createdAt(), k.createdBy());
                }
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke keys: every server refuses"
            + " them within a second.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Parameters(paramLabel = "ID", arity = "1..*", description = "The keys' ids (as keys list shows them).")
        String[] ids;

        @Option(names = "--actor", description = "Who revokes (default: the OS user).")
        String actor;

        @Override
        public Integer call() throws Exception {
            int missing = 0;
            try (Database d = db.open(System.err)) {
                ApiKeys keys = new ApiKeys(d.dataSource());
                for (String id : Arrays.asList(ids)) {
                    if (keys.revoke(id, ModelsCommand.actor(actor))) {
                        System.out.println("Revoked " + id + ".");
                    } else {
                        System.err.println("No live key " + id + " (keys list shows them).");
                        missing++;
                    }
                }
            }
            return missing == 0 ? 0 : 1;
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true, description = "Replace a key: print a new one with the"
            + " same scopes, models and rate; the old one keeps working for the grace period, then expires.")
    static final class Rotate implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Parameters(paramLabel = "ID", description = "The key's id (as keys list shows it).")
        String id;

        @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "24h",
                description = "How long the old key still works: 24h (default), 30m, 7d.")
        String grace;

        @Option(names = "--actor", description = "Who rotates (default: the OS user).")
        String actor;

        @Override
        public Integer call() throws Exception {
            Duration g = duration(grace, "--grace");
            try (Database d = db.open(System.err)) {
                Optional<ApiKeys.Created> c = new ApiKeys(d.dataSource()).rotate(id, g, ModelsCommand.actor(actor));
                if (c.isEmpty()) {
                    System.err.println("No live key " + id + " (keys list shows them).");
                    return 1;
                }
                System.out.println(c.get().key());
                System.err.println("Key " + c.get().stored().id() + " replaces " + id + " ('" + c.get().stored().name()
                        + "'), with its scopes " + c.get().stored().scopes() + ". It is shown this once: store it now."
                        + " " + id + " keeps working until " + java.time.Instant.now().plus(g).truncatedTo(
                        java.time.temporal.ChronoUnit.SECONDS) + ", then every server refuses it.");
            }
            return 0;
        }
    }
}
