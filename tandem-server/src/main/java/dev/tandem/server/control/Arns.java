package dev.tandem.server.control;

import java.util.Locale;

/** SageMaker's resource names: {@code arn:aws:sagemaker:REGION:ACCOUNT:KIND/name} (lower case). */
public record Arns(String region, String accountId) {

    public String model(String name) {
        return arn("model", name);
    }

    public String endpointConfig(String name) {
        return arn("endpoint-config", name);
    }

    public String endpoint(String name) {
        return arn("endpoint", name);
    }

    public String featureGroup(String name) {
        return arn("feature-group", name);
    }

    public String transformJob(String name) {
        return arn("transform-job", name);
    }

    private String arn(String kind, String name) {
        return "arn:aws:sagemaker:" + region + ":" + accountId + ":" + kind + "/" + name.toLowerCase(Locale.ROOT);
    }
}
