package dev.converge.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A training pipeline as declared in {@code pipelines/*.yaml}: a name, the model it produces, and a chain of typed
 * blocks. Loading checks the wiring, so a mis-wired pipeline fails here, naming the blocks, and never mid-run.
 *
 * <pre>
 * loader        NONE   -> EVENTS   pit_loader
 * transformers  EVENTS -> EVENTS   binary_label
 *               TABLE  -> TABLE    drop_columns
 * (conversion)  EVENTS -> TABLE    to_table
 * splitter      TABLE  -> SPLITS   random_split, walk_forward
 * fan-out       SPLITS -> RUNS     fan_out
 * reducer       RUNS   -> CHAMPION best_run
 * exporter      CHAMPION -> REGISTERED export
 * </pre>
 */
public record PipelineSpec(String name, String model, List<Block> blocks) {
    /** What flows between blocks. */
    public enum Port { NONE, EVENTS, TABLE, SPLITS, RUNS, CHAMPION, REGISTERED }

    /** One block: its id in the file, its type, and its options. */
    public record Block(String id, String type, Map<String, Object> options) {
        public Port in() {
            return TYPES.get(type)[0];
        }

        public Port out() {
            return TYPES.get(type)[1];
        }

        public String describe() {
            return "'" + id + "' (" + type + ")";
        }
    }

    static final Map<String, Port[]> TYPES = Map.of(
            "pit_loader", new Port[] {Port.NONE, Port.EVENTS},
            "binary_label", new Port[] {Port.EVENTS, Port.EVENTS},
            "to_table", new Port[] {Port.EVENTS, Port.TABLE},
            "drop_columns", new Port[] {Port.TABLE, Port.TABLE},
            "random_split", new Port[] {Port.TABLE, Port.SPLITS},
            "walk_forward", new Port[] {Port.TABLE, Port.SPLITS},
            "fan_out", new Port[] {Port.SPLITS, Port.RUNS},
            "best_run", new Port[] {Port.RUNS, Port.CHAMPION},
            "export", new Port[] {Port.CHAMPION, Port.REGISTERED});

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    public PipelineSpec {
        if (name == null || model == null) {
            throw new IllegalArgumentException("a pipeline needs a name and a model");
        }
        blocks = List.copyOf(blocks);
        checkWiring(blocks);
    }

    public static PipelineSpec load(Path file) {
        Map<String, Object> root;
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new IllegalArgumentException("pipeline file " + file.toAbsolutePath() + " does not exist");
        }
        try {
            root = YAML.readValue(file.toFile(), LinkedHashMap.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read pipeline " + file + ": " + e.getMessage(), e);
        }
        return fromMap(root, file.toString());
    }

    @SuppressWarnings("unchecked")
    static PipelineSpec fromMap(Map<String, Object> root, String where) {
        for (String key : root.keySet()) {
            if (!Set.of("name", "model", "blocks").contains(key)) {
                throw new IllegalArgumentException(where + ": unknown top-level key '" + key
                        + "'; expected name, model, blocks");
            }
        }
        Object rawBlocks = root.get("blocks");
        if (!(rawBlocks instanceof List<?> list) || list.isEmpty()) {
            throw new IllegalArgumentException(where + ": 'blocks' must be a non-empty list");
        }
        List<Block> blocks = new ArrayList<>();
        int i = 0;
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException(where + ": blocks[" + i + "] must be a mapping");
            }
            Map<String, Object> options = new LinkedHashMap<>((Map<String, Object>) m);
            Object id = options.remove("id");
            Object type = options.remove("type");
            if (!(type instanceof String t) || !TYPES.containsKey(t)) {
                throw new IllegalArgumentException(where + ": blocks[" + i + "] ('" + id + "') has type '" + type
                        + "'; known types are " + new java.util.TreeSet<>(TYPES.keySet()));
            }
            blocks.add(new Block(id == null ? t + "#" + i : id.toString(), t, options));
            i++;
        }
        try {
            return new PipelineSpec(String.valueOf(root.get("name")), String.valueOf(root.get("model")), blocks);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static void checkWiring(List<Block> blocks) {
        Port flowing = Port.NONE;
        Block previous = null;
        for (Block b : blocks) {
            if (b.in() != flowing) {
                throw new IllegalArgumentException("pipeline is mis-wired: block " + b.describe() + " takes "
                        + b.in() + " but " + (previous == null ? "nothing comes before it"
                        : "block " + previous.describe() + " gives " + flowing));
            }
            flowing = b.out();
            previous = b;
        }
        if (flowing != Port.REGISTERED) {
            throw new IllegalArgumentException("pipeline is incomplete: it ends with block " + previous.describe()
                    + ", which gives " + flowing + "; a pipeline must end with an export block (REGISTERED)");
        }
    }

    public Block block(String type) {
        return blocks.stream().filter(b -> b.type().equals(type)).findFirst().orElse(null);
    }
}
