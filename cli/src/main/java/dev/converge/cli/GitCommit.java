package dev.converge.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The commit a model was trained from: CONVERGE_GIT_COMMIT, else the repository's HEAD, else "unknown". */
final class GitCommit {
    private GitCommit() {}

    static String of(Path repo) {
        String env = System.getenv("CONVERGE_GIT_COMMIT");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            Path git = repo.toAbsolutePath().resolve(".git");
            if (!Files.isDirectory(git)) {
                return "unknown";
            }
            String head = Files.readString(git.resolve("HEAD")).trim();
            if (!head.startsWith("ref: ")) {
                return head;
            }
            String ref = head.substring(5);
            Path refFile = git.resolve(ref);
            if (Files.isRegularFile(refFile)) {
                return Files.readString(refFile).trim();
            }
            Path packed = git.resolve("packed-refs");
            if (Files.isRegularFile(packed)) {
                for (String line : Files.readAllLines(packed)) {
                    if (line.endsWith(" " + ref)) {
                        return line.substring(0, line.indexOf(' '));
                    }
                }
            }
            return "unknown";
        } catch (Exception e) {
            return "unknown";
        }
    }
}
