package dev.converge.train.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A training pipeline as declared in {@code pipelines/*.yaml}: a name, the model it produces, and a chain of typed
 * blocks. Loading resolves each block's type (and pinned version), checks the wiring, then reads every block's
 * options; so a mis-wired pipeline, an unknown option, a bad metric or budget fails here, naming the block, and
 * never after a sweep has trained.
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
public record PipelineSpec(String name, String model, List<Step> steps) {
    /** One block of the file: its id, its resolved type, and its configured block. */
    public record Step(String id, BlockType type, Block block) {
        public String describe() {
            return describe(id, type);
        }

        static String describe(String id, BlockType type) {
            return "'" + id + "' (" + type.name() + ")";
        }
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    public PipelineSpec {
        if (name == null || model == null) {
            throw new IllegalArgumentException("a pipeline needs a name and a model");
        }
        steps = List.copyOf(steps);
    }

    public static PipelineSpec load(Path file) {
        return load(file, BlockRegistry.discover());
    }

    @SuppressWarnings("unchecked")
    public static PipelineSpec load(Path file, BlockRegistry registry) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("pipeline file " + file.toAbsolutePath() + " does not exist");
        }
        Map<String, Object> root;
        try {
            root = YAML.readValue(file.toFile(), LinkedHashMap.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read pipeline " + file + ": " + e.getMessage(), e);
        }
        return fromMap(root, file.toString(), registry);
    }

    public static PipelineSpec fromMap(Map<String, Object> root, String where) {
        return fromMap(root, where, BlockRegistry.discover());
    }

    @SuppressWarnings("unchecked")
    public static PipelineSpec fromMap(Map<String, Object> root, String where, BlockRegistry registry) {
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
        List<String> ids = new ArrayList<>();
        List<BlockType> types = new ArrayList<>();
        List<Map<String, Object>> options = new ArrayList<>();
        int i = 0;
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException(where + ": blocks[" + i + "] must be a mapping");
            }
            Map<String, Object> opts = new LinkedHashMap<>((Map<String, Object>) m);
            Object id = opts.remove("id");
            Object type = opts.remove("type");
            Object pin = opts.remove("version");
            String blockId = id == null ? type + "#" + i : id.toString();
            try {
                types.add(registry.resolve(String.valueOf(type), pin == null ? null : SemVer.parse(pin.toString())));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": blocks[" + i + "] ('" + id + "') " + e.getMessage(), e);
            }
            ids.add(blockId);
            options.add(opts);
            i++;
        }
        try {
            checkWiring(ids, types);
            List<Step> steps = new ArrayList<>();
            for (int k = 0; k < types.size(); k++) {
                steps.add(new Step(ids.get(k), types.get(k), types.get(k).parse(new BlockOptions(
                        Step.describe(ids.get(k), types.get(k)), options.get(k)))));
            }
            return new PipelineSpec(String.valueOf(root.get("name")), String.valueOf(root.get("model")), steps);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static void checkWiring(List<String> ids, List<BlockType> types) {
        Port flowing = Port.NONE;
        String previous = null;
        for (int k = 0; k < types.size(); k++) {
            BlockType t = types.get(k);
            if (t.in() != flowing) {
                throw new IllegalArgumentException("pipeline is mis-wired: block " + Step.describe(ids.get(k), t)
                        + " takes " + t.in() + " but " + (previous == null ? "nothing comes before it"
                        : "block " + previous + " gives " + flowing));
            }
            flowing = t.out();
            previous = Step.describe(ids.get(k), t);
        }
        if (flowing != Port.REGISTERED && flowing != Port.CHAMPION) {
            throw new IllegalArgumentException("pipeline is incomplete: it ends with block " + previous
                    + ", which gives " + flowing + "; a pipeline ends with an export block (REGISTERED), or, to compare"
                    + " models without registering any, with best_run (CHAMPION)");
        }
    }

    /** Whether the pipeline ends by registering (an export block), rather than at its best run (a sweep). */
    public boolean registers() {
        return steps.get(steps.size() - 1).type().out() == Port.REGISTERED;
    }

    /** The first block of a type, or null. */
    public Block block(String type) {
        return steps.stream().filter(s -> s.type().name().equals(type)).map(Step::block).findFirst().orElse(null);
    }
}
