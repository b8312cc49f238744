package dev.tandem.server.api;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids for {@code x-amzn-RequestId}: random version-4 UUIDs. They identify a request in
 * logs, they are not secrets, so they come from a thread-local generator rather than {@link
 * UUID#randomUUID()}'s shared SecureRandom, which costs more than a whole in-process pipeline.
 */
public final class RequestIds {
    private RequestIds() {}

    public static String next() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }
}
