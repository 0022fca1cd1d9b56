package dev.converge.cli;

import dev.converge.store.Database;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "migrate", mixinStandardHelpOptions = true, description = "Apply pending database migrations.")
final class MigrateCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    @Override
    public Integer call() {
        try (Database d = db.open(System.err)) {
            d.migrate(); // Flyway itself, always: it also validates the applied migrations' checksums
            System.out.println("Database is migrated: " + d.description());
        }
        return 0;
    }
}
