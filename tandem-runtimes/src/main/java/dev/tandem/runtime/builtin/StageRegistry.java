package dev.tandem.runtime.builtin;

import dev.tandem.core.error.ValidationException;
import dev.tandem.core.stage.StageProvider;
import java.util.Collections;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The in-process stages available as {@code builtin:NAME}, found once with ServiceLoader. */
public final class StageRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(StageRegistry.class);

    private final Map<String, StageProvider> providers;

    public StageRegistry(Map<String, StageProvider> providers) {
        this.providers = Collections.unmodifiableMap(new TreeMap<>(providers));
    }

    /** Every provider on {@code loader}'s class path; on a name used twice, the first one wins. */
    public static StageRegistry discover(ClassLoader loader) {
        Map<String, StageProvider> found = new TreeMap<>();
        for (StageProvider provider : ServiceLoader.load(StageProvider.class, loader)) {
            StageProvider earlier = found.putIfAbsent(provider.name(), provider);
            if (earlier != null) {
                LOG.warn(
                        "Two stages are named builtin:{}: {} and {}; using the first",
                        provider.name(),
                        earlier.getClass().getName(),
                        provider.getClass().getName());
            }
        }
        LOG.info(
                "In-process stages: {}",
                found.isEmpty() ? "none" : "builtin:" + String.join(", builtin:", found.keySet()));
        return new StageRegistry(found);
    }

    public StageProvider provider(String name) {
        StageProvider provider = providers.get(name);
        if (provider == null) {
            throw new ValidationException("builtin:" + name + " is not a known stage; available: "
                    + (providers.isEmpty() ? "none" : String.join(", ", providers.keySet())));
        }
        return provider;
    }

    public java.util.Set<String> names() {
        return providers.keySet();
    }
}
