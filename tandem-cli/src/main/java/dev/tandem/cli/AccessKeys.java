package dev.tandem.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The access keys requests must be signed with: from a file and from the environment. */
final class AccessKeys {
    static final String KEY_VARIABLE = "TANDEM_ACCESS_KEY_ID";
    static final String SECRET_VARIABLE = "TANDEM_SECRET_ACCESS_KEY";

    private AccessKeys() {}

    /**
     * Reads {@code file} (lines {@code ACCESS_KEY_ID SECRET_ACCESS_KEY}; blank lines and {@code #}
     * comments skipped) and the environment's TANDEM_ACCESS_KEY_ID / TANDEM_SECRET_ACCESS_KEY.
     *
     * @throws IllegalArgumentException naming the line or variable that is wrong
     */
    static Map<String, String> read(@Nullable Path file, Map<String, String> environment) {
        Map<String, String> keys = new HashMap<>();
        if (file != null) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read --access-keys " + file, e);
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\\s+", -1);
                if (parts.length != 2) {
                    throw new IllegalArgumentException(
                            file + " line " + (i + 1) + ": expected 'ACCESS_KEY_ID SECRET_ACCESS_KEY'");
                }
                keys.put(parts[0], parts[1]);
            }
        }
        String key = environment.get(KEY_VARIABLE);
        String secret = environment.get(SECRET_VARIABLE);
        if ((key == null) != (secret == null)) {
            throw new IllegalArgumentException("set both " + KEY_VARIABLE + " and " + SECRET_VARIABLE + ", or neither");
        }
        if (key != null && secret != null) {
            keys.put(key, secret);
        }
        return keys;
    }
}
