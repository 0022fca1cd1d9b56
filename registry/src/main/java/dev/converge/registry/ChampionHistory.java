package dev.converge.registry;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * The champion, derived by replaying a model's events in order. Promotions stack up; a rollback returns to an
 * earlier champion on the stack; a demotion of the champion leaves the previous one in place. So "rollback" always
 * means: the champion before the current one.
 */
public final class ChampionHistory {
    private final Deque<Integer> stack = new ArrayDeque<>();

    public static ChampionHistory replay(List<ModelEvent> events) {
        ChampionHistory h = new ChampionHistory();
        for (ModelEvent e : events) {
            h.apply(e);
        }
        return h;
    }

    void apply(ModelEvent e) {
        switch (e.type()) {
            case REGISTERED -> { }
            case PROMOTED -> {
                stack.remove(e.version());
                stack.push(e.version());
            }
            case ROLLED_BACK -> {
                while (!stack.isEmpty() && stack.peek() != e.version()) {
                    stack.pop();
                }
                if (stack.isEmpty()) {
                    stack.push(e.version());
                }
            }
            case DEMOTED -> {
                if (!stack.isEmpty() && stack.peek() == e.version()) {
                    stack.pop();
                } else {
                    stack.remove(e.version());
                }
            }
        }
    }

    public Optional<Integer> champion() {
        return Optional.ofNullable(stack.peek());
    }

    /** The version a rollback would return to. */
    public Optional<Integer> previous() {
        return stack.stream().skip(1).findFirst();
    }
}
