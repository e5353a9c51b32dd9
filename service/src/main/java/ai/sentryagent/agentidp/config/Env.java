package ai.sentryagent.agentidp.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Typed reads of environment variables. Problems are collected rather than thrown one by one, so a bad
 * deployment learns about every wrong variable at once. An empty value counts as unset.
 */
final class Env {
    private final Map<String, String> values;
    private final List<String> problems = new ArrayList<>();

    Env(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    Optional<String> optional(String name) {
        String value = values.get(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    String string(String name, String fallback) {
        return optional(name).orElse(fallback);
    }

    /** A required value; records a problem and returns null when absent. */
    String required(String name, String hint) {
        Optional<String> value = optional(name);
        if (value.isEmpty()) {
            problem(name + " is required (" + hint + ")");
            return null;
        }
        return value.get();
    }

    int integer(String name, int fallback, int min, int max) {
        Optional<String> raw = optional(name);
        if (raw.isEmpty()) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(raw.get());
            if (value < min || value > max) {
                problem(name + " must be between " + min + " and " + max + ", got " + value);
                return fallback;
            }
            return value;
        } catch (NumberFormatException e) {
            problem(name + " must be an integer between " + min + " and " + max + ", got '" + printable(raw.get())
                    + "'");
            return fallback;
        }
    }

    boolean bool(String name, boolean fallback) {
        Optional<String> raw = optional(name);
        if (raw.isEmpty()) {
            return fallback;
        }
        switch (raw.get().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on":
                return true;
            case "false", "0", "no", "off":
                return false;
            default:
                problem(name + " must be true or false, got '" + printable(raw.get()) + "'");
                return fallback;
        }
    }

    /**
     * Parses a secret-bearing value. The parser's message is reported under the variable's name; the value
     * itself is never echoed.
     */
    <T> T parsed(String name, String raw, Function<String, T> parser) {
        if (raw == null) {
            return null;
        }
        try {
            return parser.apply(raw);
        } catch (IllegalArgumentException e) {
            problem(name + " " + e.getMessage());
            return null;
        }
    }

    void problem(String message) {
        problems.add(message);
    }

    void throwIfInvalid() {
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    /** Cuts a non-secret value to something safe to print on one line. */
    static String printable(String raw) {
        String oneLine = raw.replaceAll("[\\p{Cntrl}]", "?");
        return oneLine.length() > 40 ? oneLine.substring(0, 40) + "..." : oneLine;
    }
}
