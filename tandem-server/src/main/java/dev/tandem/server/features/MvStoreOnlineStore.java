package dev.tandem.server.features;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.jspecify.annotations.Nullable;

/**
 * The embedded online store: H2's MVStore (the storage engine under Tandem's state database), one
 * map per group in one file under the data dir. A read is a map lookup, in memory once the page is
 * cached; each change is committed before it returns, so an acknowledged write survives the
 * process being killed. Record updates are made atomic by lock stripes over (group, identifier).
 */
public final class MvStoreOnlineStore implements OnlineStore {
    private static final int STRIPES = 64;

    private final MVStore store;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

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

    private MVMap<String, String> map(String group) {
        return store.openMap("group/" + group);
    }

    @Override
    public Optional<StoredRecord> get(String group, String id) {
        String value = map(group).get(id);
        return value == null ? Optional.empty() : Optional.of(StoredRecord.decode(value));
    }

    @Override
    public @Nullable StoredRecord update(String group, String id, UnaryOperator<@Nullable StoredRecord> change) {
        ReentrantLock lock = stripes[Math.floorMod((group + '\0' + id).hashCode(), STRIPES)];
        lock.lock();
        try {
            MVMap<String, String> map = map(group);
            String before = map.get(id);
            StoredRecord next = change.apply(before == null ? null : StoredRecord.decode(before));
            if (next == null) {
                if (before != null) {
                    map.remove(id);
                    store.commit();
                }
                return null;
            }
            String encoded = next.encode();
            if (!encoded.equals(before)) {
                map.put(id, encoded);
                store.commit();
            }
            return next;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Entry> page(String group, @Nullable String after, int limit) {
        MVMap<String, String> map = map(group);
        List<Entry> page = new ArrayList<>();
        String from = after == null ? map.firstKey() : map.higherKey(after);
        if (from == null) {
            return page;
        }
        Iterator<String> keys = map.keyIterator(from);
        while (keys.hasNext() && page.size() < limit) {
            String id = keys.next();
            String value = map.get(id);
            if (value != null) {
                page.add(new Entry(id, StoredRecord.decode(value)));
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
