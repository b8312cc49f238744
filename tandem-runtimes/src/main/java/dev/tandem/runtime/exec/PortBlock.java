package dev.tandem.runtime.exec;

/**
 * The ports one container owns: it listens on {@code bindPort} and may use {@code
 * safeFirst}–{@code safeLast} for anything else.
 */
public record PortBlock(int bindPort, int safeFirst, int safeLast) {

    /** {@code SAGEMAKER_SAFE_PORT_RANGE}: an inclusive "first-last" range. */
    public String safeRange() {
        return safeFirst + "-" + safeLast;
    }
}
