package dev.tandem.server.endpoint;

import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.model.ImageRef;
import dev.tandem.core.model.PipelineDefinition;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * How many requests one instance takes at a time. Past that bound a request is refused at once
 * (ThrottlingException) instead of queueing: a queue in front of a saturated container only adds
 * latency, and under overload it fills with requests whose clients have given up, so the container
 * spends its time on abandoned work while new requests time out behind them.
 *
 * <p>The bound of an instance is the smallest of its containers', so a pipeline admits what its
 * slowest container can take. A container's bound is, in order:
 *
 * <ol>
 *   <li>its {@code TANDEM_MAX_IN_FLIGHT} setting, when its {@code Environment} has one;
 *   <li>the server's {@code --max-in-flight}, when given;
 *   <li>for an in-process ({@code builtin:}) stage, {@value #IN_PROCESS}: such a stage holds no
 *       thread while it waits, and the native-inference pool has a bounded queue of its own;
 *   <li>otherwise its worker processes plus a quarter of them (at least one), so that the next
 *       request is already waiting when a worker frees up and the container never idles for a hop,
 *       while no request waits longer than about a quarter of a service time. The workers are
 *       {@code SAGEMAKER_MODEL_SERVER_WORKERS} or {@code MODEL_SERVER_WORKERS} from its {@code
 *       Environment} — the settings SageMaker's serving stacks read — else the number of cores,
 *       which is what those stacks default to.
 * </ol>
 *
 * @param serverDefault the server's {@code --max-in-flight}, or null to size each container
 * @param cores the cores a container's serving stack would see
 */
public record InFlightLimit(@Nullable Integer serverDefault, int cores) {
    /** A container's own bound, in its {@code Environment}. */
    public static final String SETTING = "TANDEM_MAX_IN_FLIGHT";

    static final int IN_PROCESS = 256;
    private static final List<String> WORKER_SETTINGS =
            List.of("SAGEMAKER_MODEL_SERVER_WORKERS", "MODEL_SERVER_WORKERS");

    public InFlightLimit {
        if (serverDefault != null && serverDefault < 1) {
            throw new IllegalArgumentException("max-in-flight must be at least 1, was " + serverDefault);
        }
        if (cores < 1) {
            throw new IllegalArgumentException("cores must be at least 1, was " + cores);
        }
    }

    /** Sizes every container from its settings and this machine's cores. */
    public static InFlightLimit sized() {
        return new InFlightLimit(null, Runtime.getRuntime().availableProcessors());
    }

    /** The same bound for every container that does not set its own. */
    public static InFlightLimit fixed(int perInstance) {
        return new InFlightLimit(perInstance, Runtime.getRuntime().availableProcessors());
    }

    /** The bound of one instance of {@code model}: the smallest of its containers'. */
    public int forModel(PipelineDefinition model) {
        int limit = Integer.MAX_VALUE;
        for (ContainerDefinition container : model.containers()) {
            limit = Math.min(limit, forContainer(container));
        }
        return limit;
    }

    /**
     * The bound of one container.
     *
     * @throws ValidationException when its {@code TANDEM_MAX_IN_FLIGHT} or worker setting is not a
     *     positive number
     */
    public int forContainer(ContainerDefinition container) {
        Integer own = positive(container, SETTING);
        if (own != null) {
            return own;
        }
        if (serverDefault != null) {
            return serverDefault;
        }
        if (container.image() instanceof ImageRef.Builtin) {
            return IN_PROCESS;
        }
        int workers = cores;
        for (String setting : WORKER_SETTINGS) {
            Integer given = positive(container, setting);
            if (given != null) {
                workers = given;
                break;
            }
        }
        return workers + Math.max(1, (workers + 3) / 4);
    }

    private static @Nullable Integer positive(ContainerDefinition container, String setting) {
        String value = container.environment().get(setting);
        if (value == null) {
            return null;
        }
        try {
            int number = Integer.parseInt(value.trim());
            if (number >= 1) {
                return number;
            }
        } catch (NumberFormatException e) {
            // Named below, with the container.
        }
        throw new ValidationException("Container " + container.hostname() + ": " + setting
                + " must be a whole number of at least 1, got '" + value + "'.");
    }
}
