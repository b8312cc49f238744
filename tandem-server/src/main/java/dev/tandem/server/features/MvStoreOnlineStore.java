package dev.tandem.server.features;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.jspecify.annotations.Nullable;

/**
 * The embedded online store: H2's MVStore (the storage engine under Tandem's state database), one
 * map per group in one file under the data dir. A read is a map lookup, in memory once the page is
 * cached. Record updates are made atomic by lock stripes over (group, identifier); {@link #sync}
 * commits them in groups: whoever commits writes every change made so far, so writers arriving
 * while a commit runs share the next one (a commit, not a record, is what costs).
 */
public final class MvStoreOnlineStore implements OnlineStore {
    private static final int STRIPES = 64;

    private final MVStore store;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    /** Numbers the changes made; a change is durable once {@link #committed} reaches its number. */
    private final AtomicLong changes = new AtomicLong();

    private final ReentrantLock commitLock = new ReentrantLock();
    /** The number of the last change the last commit holds; written under {@link #commitLock}. */
    private volatile long committed;

    private MvStoreOnlineStore(MVStore store) {
        this.store = store;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /** Opens (creating if needed) the store in {@code folder}. */
    public static MvStoreOnlineStore open(Path folder) {
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the online store folder " + folder, e);
        }
        MVStore store = new MVStore.Builder()
                .fileName(folder.resolve("online.mv").toString())
                .autoCommitDisabled()
                .open();
        return new MvStoreOnlineStore(store);
    }

    /** Values are the codec's bytes; the first stores kept JSON strings, which still read. */
    private MVMap<String, Object> map(String group) {
        return store.openMap("group/" + group);
    }

    private static byte[] bytes(Object value) {
        return value instanceof byte[] bytes ? bytes : value.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Optional<StoredRecord> get(String group, String id) {
        Object value = map(group).get(id);
        return value == null ? Optional.empty() : Optional.of(StoredRecord.decode(bytes(value)));
    }

    @Override
    public @Nullable StoredRecord update(String group, String id, UnaryOperator<@Nullable StoredRecord> change) {
        ReentrantLock lock = stripes[Math.floorMod((group + '\0' + id).hashCode(), STRIPES)];
        lock.lock();
        try {
            MVMap<String, Object> map = map(group);
            Object stored = map.get(id);
            byte[] before = stored == null ? null : bytes(stored);
            StoredRecord next = change.apply(before == null ? null : StoredRecord.decode(before));
            if (next == null) {
                if (before != null) {
                    map.remove(id);
                    changes.incrementAndGet();
                }
                return null;
            }
            byte[] encoded = next.encode();
            if (!Arrays.equals(encoded, before)) {
                map.put(id, encoded);
                changes.incrementAndGet();
            }
            return next;
        } finally {
            lock.unlock();
        }
    }

    /** MVStore keeps recent pages in memory and reads the others from its file, through the page cache. */
    @Override
    public boolean readsWithoutWaiting() {
        return true;
    }

    @Override
    public void sync() {
        long mine = changes.get();
        if (committed >= mine) {
            return;
        }
        commitLock.lock();
        try {
            // A commit that started after our changes were made may already hold them.
            if (committed >= mine) {
                return;
            }
            // Every change numbered up to here is in the maps, so this commit holds it.
            long upTo = changes.get();
            store.commit();
            committed = upTo;
        } finally {
            commitLock.unlock();
        }
    }

    @Override
    public List<Entry> page(String group, @Nullable String after, int limit) {
        MVMap<String, Object> map = map(group);
        List<Entry> page = new ArrayList<>();
        String from = after == null ? map.firstKey() : map.higherKey(after);
        if (from == null) {
            return page;
        }
        Iterator<String> keys = map.keyIterator(from);
        while (keys.hasNext() && page.size() < limit) {
            String id = keys.next();
            Object value = map.get(id);
            if (value != null) {
                page.add(new Entry(id, StoredRecord.decode(bytes(value))));
            }
        }
        return page;
    }

    @Override
    public void dropGroup(String group) {
        if (store.hasMap("group/" + group)) {
            store.removeMap("group/" + group);
            store.commit();
        }
    }

    @Override
    public void close() {
        store.close();
    }
}
