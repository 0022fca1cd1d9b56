package dev.converge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The README's commands, run for real against the test PostgreSQL in a schema of their own. */
class CliTest {
    static final TestSchema TEST_SCHEMA = new TestSchema("cli_");
    static final String URL = TEST_SCHEMA.url;
    static final Path ROOT = Path.of(System.getProperty("converge.root", ".."));

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of(args));
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            CommandLine cl = Main.commandLine(args);
            cl.setOut(new java.io.PrintWriter(o, true));
            cl.setErr(new java.io.PrintWriter(e, true));
            int code = cl.execute(all.toArray(String[]::new));
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @BeforeAll
    static void schema() throws Exception {
        TEST_SCHEMA.create();
    }

    @AfterAll
    static void drop() throws Exception {
        TEST_SCHEMA.drop();
    }

    @Test
    void keysAreCreatedOnceListedWithoutTheirSecretAndRevoked() {
        assertThat(run("migrate", "--database-url", URL).exit()).isZero();
        Run created = run("keys", "create", "--database-url", URL, "--name", "scoring service", "--scopes",
                "predict,feedback", "--models", "credit_risk", "--expires", "90d", "--rate", "500/s");
        assertThat(created.exit()).as(created.err()).isZero();
        String key = created.out().trim();
        assertThat(key).matches("cvk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}");
        String id = key.substring(4, 16);
        assertThat(created.err()).contains("shown this once");
        Run list = run("keys", "list", "--database-url", URL);
        assertThat(list.out()).contains(id, "scoring service", "predict,feedback models=credit_risk rate=500/s",
                "live until")
                .doesNotContain(key.substring(17));
        Run rotated = run("keys", "rotate", "--database-url", URL, id, "--grace", "30m");
        assertThat(rotated.exit()).as(rotated.err()).isZero();
        String fresh = rotated.out().trim();
        assertThat(fresh).matches("cvk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}").isNotEqualTo(key);
        assertThat(rotated.err()).contains("replaces " + id, "keeps working until");
        assertThat(run("keys", "list", "--database-url", URL).out()).contains(fresh.substring(4, 16))
                .contains("predict,feedback models=credit_risk rate=500/s");
        Run bad = run("keys", "create", "--database-url", URL, "--name", "x", "--scopes", "predict,write");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("unknown scope 'write'");
        assertThat(run("keys", "revoke", "--database-url", URL, id).exit()).isZero();
        assertThat(run("keys", "list", "--database-url", URL).out()).contains("revoked");
        Run again = run("keys", "revoke", "--database-url", URL, id);
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("No live key " + id);
    }

    @Test
    void memorySplitWritesAnArgfileTheJavaLauncherReads(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path args = dir.resolve("jvm.args");
        Run r = run("memory-split", "--container-limit", "17179869184", "--argfile", args.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> lines = java.nio.file.Files.readAllLines(args);
        assertThat(lines).hasSize(2).allMatch(l -> l.matches("-Xm[xs]\\d+m"));
        // The launcher takes it as it is: the heap it reports is the split's.
        Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + args, "-XX:+PrintFlagsFinal", "-version").redirectErrorStream(true).start();
        String flags = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        long mb = Long.parseLong(lines.get(0).replaceAll("\\D", ""));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("MaxHeapSize\\s+=\\s+(\\d+)").matcher(flags);
        assertThat(m.find()).isTrue();
        // (the JVM rounds the heap up to its region alignment)
        assertThat(Long.parseLong(m.group(1))).isBetween(mb << 20, (mb + 64) << 20);
    }

    @Test
    void quickstartIngestsLendingClubAndReadsItBack() {
        Run r = run("quickstart", "--database-url", URL, "--data",
                ROOT.resolve("examples/data/lending_club.csv").toString(), "--pipeline",
                ROOT.resolve("pipelines/lending_club.yaml").toString(), "--port", "0", "--exit");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("-> 200 \\{\"prediction_id\":\"[0-9a-f-]{36}\",\"prediction\":\"(good|bad)\",\"probabilities\"");
        assertThat(r.out()).contains("9,857 rows read, 9,857 accepted, 0 rejected")
                .contains("\"sub_grade\":\"C4\"").contains("one round trip, 3 found");
        Run models = run("models", "list", "--database-url", URL);
        assertThat(models.out()).as("the quickstart registered and promoted a champion")
                .containsPattern("(?m)^credit_risk +1 +[\\w:]+ +.*auc 0\\.\\d{4}.* champion$");
        assertThat(models.out()).as("figures people read, not the raw metrics JSON")
                .doesNotContain("thresholds_on_validation").doesNotContain("0.75753");
        Run history = run("models", "history", "credit_risk", "--database-url", URL);
        assertThat(history.out()).contains("registered").contains("promoted");
        Run online = run("online", "--database-url", URL, "1", "2");
        assertThat(online.out()).contains("\"funded_amnt\":16100").contains("\"funded_amnt\":32000");
        Run toast = run("toast-check", "--database-url", URL);
        assertThat(toast.out()).contains("No hot document is TOASTed.");
        assertThat(toast.exit()).isZero();
    }

    @Test
    void ingestWithInferredSchemaQuarantinesBadRowsAndSaysWhy(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("strikes.csv");
        Files.copy(ROOT.resolve("examples/data/birdstrikes.csv"), good);
        Path schema = dir.resolve("schema.json");
        Run infer = run("ingest", "--database-url", URL, good.toString(), "--infer-schema", "--dry-run",
                "--timestamp-column", "Flight Date", "--write-schema", schema.toString());
        assertThat(infer.exit()).as(infer.err()).isZero();
        assertThat(Files.readString(schema)).contains("\"name\" : \"Speed IAS in knots\"");

        Path bad = dir.resolve("bad.csv");
        List<String> lines = new ArrayList<>(Files.readAllLines(good).subList(0, 101));
        lines.set(5, lines.get(5).replaceFirst(",1990-0", ",199O-0"));
        lines.set(9, lines.get(9) + ",extra");
        Files.write(bad, lines);
        Run ingest = run("ingest", "--database-url", URL, bad.toString(), "--schema", schema.toString(),
                "--timestamp-column", "Flight Date");

        assertThat(ingest.exit()).as(ingest.err()).isZero();
        assertThat(ingest.out()).contains("100 rows read, 98 accepted, 2 rejected")
                .contains("bad_event_timestamp").contains("parse_error").contains("line 6:");
        Run rejects = run("rejects", "--database-url", URL);
        assertThat(rejects.out()).contains("bad.csv:6").contains("bad.csv:10").contains("2 reject(s) shown.");
    }

    @Test
    void badInputIsAClearErrorNotAStackTrace(@TempDir Path dir) throws Exception {
        Path schema = dir.resolve("s.json");
        Files.writeString(schema, "{\"features\":[{\"name\":\"x\",\"type\":\"numbr\",\"temperature\":\"hot\"}]}");
        Path data = dir.resolve("d.csv");
        Files.writeString(data, "x\n1\n");

        Run r = run("ingest", "--database-url", URL, data.toString(), "--schema", schema.toString());

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("features[0] ('x')").contains("unknown feature type 'numbr'")
                .doesNotContain("Exception");
    }

    /** Each command is registered by name alone when it is the one run: the names must be the classes' own. */
    @Test
    void commandNamesAreTheirClassesNamesAndTheUsageListsThemAll() throws Exception {
        for (String[] c : Main.COMMANDS) {
            Class<?> cls = Class.forName("dev.converge.cli." + c[1]);
            assertThat(cls.getAnnotation(picocli.CommandLine.Command.class).name()).as(c[1]).isEqualTo(c[0]);
            CommandLine one = Main.commandLine(new String[] {c[0], "--help"});
            assertThat(one.getSubcommands().keySet()).as(c[0]).containsExactly(c[0]);
        }
        Run usage = run("--help");
        assertThat(usage.exit()).isZero();
        for (String[] c : Main.COMMANDS) {
            assertThat(usage.out()).contains("  " + c[0] + " ");
        }
        assertThat(Main.commandLine(new String[] {"--help"}).getSubcommands()).containsKey("help")
                .hasSize(Main.COMMANDS.length + 1);
        Run unknown = run("servve");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("servve").contains("serve");
    }

    @Test
    void everyCommandAndSubcommandHasHelpAndRendersItWithoutAWarning() {
        int rendered = 0;
        for (String[] c : Main.COMMANDS) {
            List<List<String>> paths = new ArrayList<>();
            paths.add(List.of(c[0]));
            CommandLine one = Main.commandLine(new String[] {c[0]}).getSubcommands().get(c[0]);
            // `converge --help` lists each command with its description's first line: a sentence, not a fragment.
            String summary = one.getCommandSpec().usageMessage().description()[0];
            assertThat(summary).as(c[0] + "'s summary").endsWith(".");
            one.getSubcommands().keySet().forEach(sub -> paths.add(List.of(c[0], sub)));
            for (List<String> path : paths) {
                List<String> args = new ArrayList<>(path);
                args.add("--help");
                Run r = run(args.toArray(String[]::new));
                String name = String.join(" ", path);
                assertThat(r.exit()).as(name).isZero();
                assertThat(r.out()).as(name).contains("Usage: converge " + name);
                // picocli formats descriptions: a bare % (as in "95% interval") logs a warning and drops the text.
                assertThat(r.err()).as(name + ": " + r.err()).doesNotContain("WARN");
                rendered++;
            }
        }
        assertThat(rendered).as("every command, and the subcommands of models, drift, experiment, ...")
                .isGreaterThan(Main.COMMANDS.length);
        assertThat(run("models", "rollback", "--help").out()).contains("--reason");
    }
}
