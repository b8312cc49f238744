package dev.tandem.server.endpoint;

import dev.tandem.core.error.ValidationException;

/**
 * A serverless variant's settings (SageMaker's {@code ProductionVariantServerlessConfig}): no
 * instances while idle, instances started on demand up to what {@code maxConcurrency} requests
 * need, and enough kept warm for {@code provisionedConcurrency}.
 *
 * @param memorySizeInMb what each instance may use: 1024 to 6144 in steps of 1024
 * @param maxConcurrency requests in flight and waiting for a start, together, at most; past it a
 *     request is refused at once
 * @param provisionedConcurrency requests the variant serves without a cold start, kept warm
 *     through idleness; 0 for none
 */
public record ServerlessConfig(int memorySizeInMb, int maxConcurrency, int provisionedConcurrency) {
    /** What the SageMaker Python SDK sends when the user gives nothing. */
    public static final int DEFAULT_MEMORY_MB = 2048;

    public static final int DEFAULT_MAX_CONCURRENCY = 5;

    public ServerlessConfig {
        if (memorySizeInMb < 1024 || memorySizeInMb > 6144 || memorySizeInMb % 1024 != 0) {
            throw new ValidationException("ServerlessConfig MemorySizeInMB " + memorySizeInMb
                    + " is not valid: valid values are in 1 GB increments: 1024, 2048, 3072, 4096, 5120 or 6144 MB.");
        }
        if (maxConcurrency < 1 || maxConcurrency > 200) {
            throw new ValidationException(
                    "ServerlessConfig MaxConcurrency " + maxConcurrency + " is not valid: it is between 1 and 200.");
        }
        if (provisionedConcurrency < 0 || provisionedConcurrency > maxConcurrency) {
            throw new ValidationException("ServerlessConfig ProvisionedConcurrency " + provisionedConcurrency
                    + " is not valid: it should be less than or equal to MaxConcurrency (" + maxConcurrency + ").");
        }
    }

    /** The same memory, with a new concurrency: what {@code ServerlessUpdateConfig} changes. */
    public ServerlessConfig withConcurrency(int max, int provisioned) {
        return new ServerlessConfig(memorySizeInMb, max, provisioned);
    }
}
