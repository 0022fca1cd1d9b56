package dev.converge.train.pipeline;

import dev.converge.store.Database;
import java.io.PrintStream;
import java.util.UUID;

/** What every block of one run shares: where it reads and writes, who it says it is, its sweep id and its log. */
public record BlockContext(Database db, String artifacts, String actor, String gitCommit, PrintStream log,
                           UUID sweepId, String model) {}
