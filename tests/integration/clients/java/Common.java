import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.protocol.Errors;

/**
 * What the three programs share: the properties file (loaded as is), arguments, JSON lines on
 * stdout, and the failure line on stderr:
 * {@code error: <Kafka error code> <exception class>: <message>}, exit 2 (3 on a timeout).
 */
final class Common {
    static final int KAFKA_ERROR = 2;
    static final int TIMED_OUT = 3;

    private Common() {}

    /** Positional arguments, then {@code --name value} options ({@code --set k=v} repeatable). */
    static final class Args {
        final List<String> positional = new ArrayList<>();
        final Map<String, String> options = new LinkedHashMap<>();
        final Map<String, String> overrides = new LinkedHashMap<>();

        Args(String[] argv) {
            for (int i = 0; i < argv.length; i++) {
                String a = argv[i];
                if (a.startsWith("--")) {
                    String value = argv[++i];
                    if (a.equals("--set")) {
                        int eq = value.indexOf('=');
                        overrides.put(value.substring(0, eq), value.substring(eq + 1));
                    } else {
                        options.put(a.substring(2), value);
                    }
                } else {
                    positional.add(a);
                }
            }
        }

        String get(int index) {
            return positional.get(index);
        }

        String option(String name, String fallback) {
            return options.getOrDefault(name, fallback);
        }
    }

    /** The generated properties file, unchanged; {@code --set} overrides (denial tests only) on top. */
    static Properties load(String path, Map<String, String> overrides) throws IOException {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of(path))) {
            props.load(reader);
        }
        props.putAll(overrides);
        return props;
    }

    static void emit(Map<String, ?> fields) {
        StringBuilder out = new StringBuilder("{");
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            if (out.length() > 1) out.append(", ");
            out.append(quote(e.getKey())).append(": ");
            Object v = e.getValue();
            out.append(v instanceof Number || v instanceof Boolean ? v.toString() : v == null ? "null" : quote(v.toString()));
        }
        System.out.println(out.append('}'));
        System.out.flush();
    }

    static Map<String, Object> fields(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private static String quote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\r' -> q.append("\\r");
                case '\t' -> q.append("\\t");
                default -> {
                    if (c < 0x20) q.append(String.format("\\u%04x", (int) c));
                    else q.append(c);
                }
            }
        }
        return q.append('"').toString();
    }

    /** The exception that says why: an authorization error anywhere in the causes, else the first
     * Kafka API error, else the innermost Kafka exception, else {@code t}. */
    static Throwable reason(Throwable t) {
        Throwable api = null;
        Throwable kafka = null;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof AuthorizationException) return c;
            if (api == null && c instanceof ApiException) api = c;
            if (c instanceof KafkaException) kafka = c;
            if (c.getCause() == c) break;
        }
        return api != null ? api : kafka != null ? kafka : t;
    }

    static String code(Throwable reason) {
        Errors error = Errors.forException(reason);
        return error == Errors.UNKNOWN_SERVER_ERROR ? "UNKNOWN" : error.name();
    }

    static int fail(Throwable t) {
        Throwable r = reason(t);
        System.out.flush();
        System.err.println("error: " + code(r) + " " + r.getClass().getName() + ": " + r.getMessage());
        if (r != t) System.err.println("  (raised as " + t.getClass().getName() + ": " + t.getMessage() + ")");
        System.err.flush();
        return KAFKA_ERROR;
    }

    static int timeout(String what) {
        System.out.flush();
        System.err.println("error: TIMEOUT " + what);
        System.err.flush();
        return TIMED_OUT;
    }
}
