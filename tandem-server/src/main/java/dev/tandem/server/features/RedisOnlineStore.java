package dev.tandem.server.features;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The online store in Redis, shared by every Tandem server pointed at it: what lets several
 * servers behind a load balancer read each other's writes at once.
 *
 * <p>A record is a string key holding {@link StoredRecord#encode()}, {@code
 * tandem:features:{group}:record:<id>}, and each group keeps its identifiers in a sorted set of
 * equal scores, {@code tandem:features:{group}:ids}, which Redis orders by identifier for
 * ListRecords. The braces make a group's keys one hash slot, so that a record and its group's set
 * change together in a transaction on a Redis Cluster too. {@link #update} is optimistic: WATCH the
 * record, read it, write it in MULTI/EXEC, and read again if another server changed it meanwhile.
 * Durability is Redis's own (its append-only file, as the operator configures it).
 */
public final class RedisOnlineStore implements OnlineStore {
    private static final String PREFIX = "tandem:features:";
    /** How many times an update is tried while other writers keep changing the same record. */
    private static final int ATTEMPTS = 100;

    private final JedisPool pool;
    private final URI uri;

    private RedisOnlineStore(JedisPool pool, URI uri) {
        this.pool = pool;
        this.uri = uri;
    }

    /**
     * Connects to {@code redis://host:port[/database]} and checks that Redis answers.
     *
     * @throws IllegalStateException naming the address when it does not
     */
    public static RedisOnlineStore connect(URI uri) {
        GenericObjectPoolConfig<Jedis> config = new GenericObjectPoolConfig<>();
        // Requests reach the store on virtual threads: enough connections for a busy server.
        config.setMaxTotal(64);
        config.setMaxIdle(64);
        JedisPool pool = new JedisPool(config, uri);
        try (Jedis jedis = pool.getResource()) {
            jedis.ping();
        } catch (JedisException e) {
            pool.close();
            throw new IllegalStateException("The online store at " + uri + " does not answer: " + e.getMessage(), e);
        }
        return new RedisOnlineStore(pool, uri);
    }

    private static byte[] recordKey(String group, String id) {
        return (PREFIX + "{" + group + "}:record:" + id).getBytes(StandardCharsets.UTF_8);
    }

    private static String idsKey(String group) {
        return PREFIX + "{" + group + "}:ids";
    }

    @Override
    public Optional<StoredRecord> get(String group, String id) {
        try (Jedis jedis = pool.getResource()) {
            byte[] value = jedis.get(recordKey(group, id));
            return value == null ? Optional.empty() : Optional.of(StoredRecord.decode(value));
        }
    }

    /** One MGET for all of them. */
    @Override
    public Map<String, StoredRecord> getAll(String group, List<String> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        List<byte[]> values;
        try (Jedis jedis = pool.getResource()) {
            values = jedis.mget(ids.stream().map(id -> recordKey(group, id)).toArray(byte[][]::new));
        }
        Map<String, StoredRecord> found = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            if (values.get(i) != null) {
                found.put(ids.get(i), StoredRecord.decode(values.get(i)));
            }
        }
        return found;
    }

    @Override
    public @Nullable StoredRecord update(String group, String id, UnaryOperator<@Nullable StoredRecord> change) {
        byte[] key = recordKey(group, id);
        try (Jedis jedis = pool.getResource()) {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                jedis.watch(key);
                byte[] before = jedis.get(key);
                StoredRecord current = before == null ? null : StoredRecord.decode(before);
                StoredRecord next = change.apply(current);
                @SuppressWarnings("ReferenceEquality") // the change's own answer: the record left as it is
                boolean unchanged = next == current;
                if (unchanged) {
                    jedis.unwatch();
                    return next;
                }
                Transaction transaction = jedis.multi();
                if (next == null) {
                    transaction.del(key);
                    transaction.zrem(idsKey(group), id);
                } else {
                    transaction.set(key, next.encode());
                    transaction.zadd(idsKey(group), 0, id);
                }
                // Null when another server changed the record after the WATCH: read it again.
                if (transaction.exec() != null) {
                    return next;
                }
            }
        }
        throw new IllegalStateException("Record " + id + " of feature group " + group + " changed under " + ATTEMPTS
                + " attempts in a row to write it; too many writers of one record at once.");
    }

    /**
     * Nothing to do: a write is Redis's once EXEC answers, and Redis's persistence settings
     * ({@code appendfsync}) say when it reaches the disk.
     */
    @Override
    public void sync() {}

    @Override
    public List<Entry> page(String group, @Nullable String after, int limit) {
        try (Jedis jedis = pool.getResource()) {
            List<String> ids = jedis.zrangeByLex(idsKey(group), after == null ? "-" : "(" + after, "+", 0, limit);
            if (ids.isEmpty()) {
                return List.of();
            }
            List<byte[]> values =
                    jedis.mget(ids.stream().map(id -> recordKey(group, id)).toArray(byte[][]::new));
            List<Entry> entries = new ArrayList<>(ids.size());
            for (int i = 0; i < ids.size(); i++) {
                // Removed between the two reads: gone, not listed.
                if (values.get(i) != null) {
                    entries.add(new Entry(ids.get(i), StoredRecord.decode(values.get(i))));
                }
            }
            // Every one removed between the two reads: page on past them.
            return entries.isEmpty() ? page(group, ids.get(ids.size() - 1), limit) : entries;
        }
    }

    @Override
    public void dropGroup(String group) {
        try (Jedis jedis = pool.getResource()) {
            while (true) {
                List<String> ids = jedis.zrange(idsKey(group), 0, 999);
                if (ids.isEmpty()) {
                    break;
                }
                jedis.del(ids.stream().map(id -> recordKey(group, id)).toArray(byte[][]::new));
                jedis.zrem(idsKey(group), ids.toArray(String[]::new));
            }
            jedis.del(idsKey(group));
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return "Redis at " + uri;
    }
}
