package dev.tandem.server.features;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Where the latest record of each identifier lives, for low-latency reads. Implementations keep
 * records by group and identifier; the rules (event-time order, TTL, delete modes) are the
 * feature store's, applied through {@link #update}, which each implementation makes atomic per
 * record — so that two writers of one record cannot both win.
 */
public interface OnlineStore extends AutoCloseable {

    Optional<StoredRecord> get(String group, String id);

    /**
     * The records of {@code ids} that exist, by identifier: one round trip for a shared store,
     * however many identifiers.
     */
    default Map<String, StoredRecord> getAll(String group, List<String> ids) {
        Map<String, StoredRecord> found = new HashMap<>();
        for (String id : ids) {
            get(group, id).ifPresent(record -> found.put(id, record));
        }
        return found;
    }

    /**
     * Replaces the record with what {@code change} makes of it (null: there is none), atomically;
     * a null result removes it. Every read sees it when it returns; it is durable after the next
     * {@link #sync}, so that many updates can share one commit. A store may call {@code change} more than
     * once (a shared store, when another writer changed the record meanwhile): it must decide from
     * its argument alone; returning its argument itself leaves the record as it is.
     *
     * @return what {@code change} returned the last time it was called: the record now stored, or null
     */
    @Nullable
    StoredRecord update(String group, String id, UnaryOperator<@Nullable StoredRecord> change);

    /**
     * Whether a read is a lookup in this process's memory (or its page cache), microseconds that
     * need not leave the calling I/O thread; false for a store across the network.
     */
    default boolean readsWithoutWaiting() {
        return false;
    }

    /**
     * Makes every update that returned before this call durable: it survives the server's process
     * being killed once this returns. Concurrent callers may share one commit.
     */
    void sync();

    /** One page of a group's records in identifier order, after {@code after} (null: from the start). */
    List<Entry> page(String group, @Nullable String after, int limit);

    /** Removes every record of a group. */
    void dropGroup(String group);

    @Override
    void close();

    record Entry(String id, StoredRecord record) {}
}
