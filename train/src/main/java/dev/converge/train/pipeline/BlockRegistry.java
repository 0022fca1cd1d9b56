package dev.converge.train.pipeline;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The block types a pipeline may use: every {@link BlockType.Provider} on the class path, built-in ones included.
 * A block is resolved by name and, when the pipeline pins one, by version (same major, not older); without a pin,
 * the newest version wins.
 */
public final class BlockRegistry {
    private final Map<String, List<BlockType>> byName = new TreeMap<>();

    public BlockRegistry(List<BlockType> types) {
        for (BlockType t : types) {
            List<BlockType> versions = byName.computeIfAbsent(t.name(), k -> new ArrayList<>());
            if (versions.stream().anyMatch(o -> o.version().equals(t.version()))) {
                throw new IllegalStateException("block type " + t.name() + " version " + t.version()
                        + " is provided twice");
            }
            versions.add(t);
            versions.sort(Comparator.comparing(BlockType::version).reversed());
        }
    }

    /** Every provider found by {@link ServiceLoader} on this class's loader. */
    public static BlockRegistry discover() {
        List<BlockType> all = new ArrayList<>();
        for (BlockType.Provider p : ServiceLoader.load(BlockType.Provider.class, BlockRegistry.class.getClassLoader())) {
            all.addAll(p.types());
        }
        return new BlockRegistry(all);
    }

    /** The type for a name and an optional pin; the message lists what exists when nothing matches. */
    public BlockType resolve(String name, SemVer pin) {
        List<BlockType> versions = byName.get(name);
        if (versions == null) {
            throw new IllegalArgumentException("has type '" + name + "'; known types are " + byName.keySet());
        }
        for (BlockType t : versions) {
            if (pin == null || t.version().satisfies(pin)) {
                return t;
            }
        }
        throw new IllegalArgumentException("pins " + name + " version " + pin + ", but the versions available are "
                + versions.stream().map(t -> t.version().toString()).toList());
    }
}
