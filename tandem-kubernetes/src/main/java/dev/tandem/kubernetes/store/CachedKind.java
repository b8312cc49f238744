package dev.tandem.kubernetes.store;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.StatusDetails;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * One kind of custom resource in one namespace: written through the API server, read from a cache
 * the API server's watch keeps current. A write returns once the cache holds it, so whoever wrote
 * reads what they wrote; other readers see it as soon as the watch event reaches them.
 */
final class CachedKind<R extends HasMetadata> implements AutoCloseable {
    private static final int MAX_ATTEMPTS = 10;

    private final NonNamespaceOperation<R, KubernetesResourceList<R>, Resource<R>> api;
    private final String namespace;
    private final SharedIndexInformer<R> informer;
    private final Duration cacheWait;
    private final Object changed = new Object();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    CachedKind(
            NonNamespaceOperation<R, KubernetesResourceList<R>, Resource<R>> api,
            String namespace,
            Duration cacheWait) {
        this.api = api;
        this.namespace = namespace;
        this.cacheWait = cacheWait;
        // inform() lists, starts the watch and returns once the cache holds the list.
        this.informer = api.inform(new ResourceEventHandler<R>() {
            @Override
            public void onAdd(R resource) {
                signal();
            }

            @Override
            public void onUpdate(R before, R after) {
                signal();
            }

            @Override
            public void onDelete(R resource, boolean finalStateUnknown) {
                signal();
            }
        });
    }

    private void signal() {
        synchronized (changed) {
            changed.notifyAll();
        }
        listeners.forEach(Runnable::run);
    }

    /** Runs {@code listener} after each change the watch reports, on the informer's thread. */
    void onChange(Runnable listener) {
        listeners.add(listener);
    }

    Optional<R> get(String objectName) {
        return Optional.ofNullable(informer.getStore().getByKey(key(objectName)));
    }

    List<R> all() {
        return informer.getStore().list();
    }

    /** Creates {@code resource}; false when one of its name exists. */
    boolean create(R resource) {
        R created;
        try {
            created = api.resource(resource).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                return false;
            }
            throw e;
        }
        awaitVersion(created);
        return true;
    }

    /** Changes the spec (and metadata) of {@code objectName} with {@code edit}; false when it does not exist. */
    boolean edit(String objectName, UnaryOperator<R> edit) {
        return write(objectName, resource -> resource.edit(edit));
    }

    /** Changes the status of {@code objectName} with {@code edit}; false when it does not exist. */
    boolean editStatus(String objectName, UnaryOperator<R> edit) {
        return write(objectName, resource -> resource.editStatus(edit));
    }

    /**
     * Reads the object, changes it and writes it back, again when someone else wrote in between
     * (the operator adding its finalizer, another gateway): an edit is a patch against the version
     * it read, which the API server refuses once that version is gone.
     */
    private boolean write(String objectName, Function<Resource<R>, R> write) {
        for (int attempt = 1; ; attempt++) {
            R written;
            try {
                written = write.apply(api.withName(objectName));
            } catch (KubernetesClientException e) {
                if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                    return false;
                }
                if (e.getCode() == HttpURLConnection.HTTP_CONFLICT && attempt < MAX_ATTEMPTS) {
                    continue;
                }
                throw e;
            }
            awaitVersion(written);
            return true;
        }
    }

    /**
     * Deletes {@code objectName}; false when it did not exist. Returns once the deletion is seen:
     * the object is gone, or marked for deletion while a finalizer (the operator's, removing what
     * the object owns) finishes.
     */
    boolean delete(String objectName) {
        List<StatusDetails> deleted = api.withName(objectName).delete();
        if (deleted.isEmpty()) {
            return false;
        }
        await(objectName, cached -> cached == null || cached.getMetadata().getDeletionTimestamp() != null);
        return true;
    }

    private void awaitVersion(R written) {
        String version = written.getMetadata().getResourceVersion();
        await(written.getMetadata().getName(), cached -> cached != null && atLeast(cached, version));
    }

    private static boolean atLeast(HasMetadata cached, String version) {
        String seen = cached.getMetadata().getResourceVersion();
        try {
            return Long.parseLong(seen) >= Long.parseLong(version);
        } catch (NumberFormatException opaque) {
            // Resource versions are opaque to clients; every API server so far uses etcd's revision.
            return seen.equals(version);
        }
    }

    private void await(String objectName, Predicate<@Nullable R> done) {
        long deadline = System.nanoTime() + cacheWait.toNanos();
        synchronized (changed) {
            while (!done.test(informer.getStore().getByKey(key(objectName)))) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("the API server's watch did not deliver the change to " + objectName
                            + " within " + cacheWait + "; is the watch connection up?");
                }
                try {
                    changed.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the watch", e);
                }
            }
        }
    }

    /** The cache's key: namespace and name, as fabric8's informers index them. */
    private String key(String objectName) {
        return namespace + "/" + objectName;
    }

    @Override
    public void close() {
        informer.close();
    }
}
