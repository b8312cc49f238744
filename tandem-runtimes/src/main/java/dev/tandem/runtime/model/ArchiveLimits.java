package dev.tandem.runtime.model;

/**
 * Bounds on what one model archive may expand to, against decompression bombs.
 *
 * @param maxBytes the total size of all extracted files
 * @param maxEntries the number of entries
 */
public record ArchiveLimits(long maxBytes, int maxEntries) {

    public ArchiveLimits {
        if (maxBytes <= 0 || maxEntries <= 0) {
            throw new IllegalArgumentException(
                    "archive limits must be positive: " + maxBytes + " bytes, " + maxEntries + " entries");
        }
    }

    public static ArchiveLimits defaults() {
        return new ArchiveLimits(20L * 1024 * 1024 * 1024, 100_000);
    }
}
