package dev.tandem.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.ErrorKind;
import dev.tandem.core.error.TandemException;
import dev.tandem.server.features.FeatureDefinition;
import dev.tandem.server.features.FeatureGroup;
import dev.tandem.server.features.FeatureGroups;
import dev.tandem.server.features.FeatureMetadata;
import dev.tandem.server.features.TtlDuration;
import dev.tandem.server.features.offline.OfflineStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The feature-group operations of SageMaker's control plane, mapped between their JSON shapes and
 * {@link FeatureGroups}: CreateFeatureGroup, DescribeFeatureGroup, ListFeatureGroups,
 * UpdateFeatureGroup, DeleteFeatureGroup, DescribeFeatureMetadata and UpdateFeatureMetadata.
 */
final class FeatureGroupOperations {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FeatureGroups groups;
    private final OfflineStore offline;

    FeatureGroupOperations(FeatureGroups groups, OfflineStore offline) {
        this.groups = groups;
        this.offline = offline;
    }

    static boolean serves(String operation) {
        return switch (operation) {
            case "CreateFeatureGroup",
                    "DescribeFeatureGroup",
                    "ListFeatureGroups",
                    "UpdateFeatureGroup",
                    "DeleteFeatureGroup",
                    "DescribeFeatureMetadata",
                    "UpdateFeatureMetadata" -> true;
            default -> false;
        };
    }

    ObjectNode handle(String operation, JsonNode request) {
        String name = request.path("FeatureGroupName").asText();
        return switch (operation) {
            case "CreateFeatureGroup" -> arn(groups.create(request));
            case "DescribeFeatureGroup" -> describe(groups.get(name));
            case "ListFeatureGroups" -> list(request);
            case "UpdateFeatureGroup" -> arn(update(name, request));
            case "DeleteFeatureGroup" -> {
                groups.delete(name);
                yield JSON.createObjectNode();
            }
            case "DescribeFeatureMetadata" ->
                describeMetadata(groups.get(name), request.path("FeatureName").asText());
            case "UpdateFeatureMetadata" -> {
                Map<String, String> additions = new LinkedHashMap<>();
                request.path("ParameterAdditions")
                        .forEach(p -> additions.put(
                                p.path("Key").asText(), p.path("Value").asText()));
                List<String> removals = new ArrayList<>();
                request.path("ParameterRemovals").forEach(key -> removals.add(key.asText()));
                groups.updateMetadata(
                        name,
                        request.path("FeatureName").asText(),
                        request.hasNonNull("Description")
                                ? request.get("Description").asText()
                                : null,
                        additions,
                        removals);
                yield JSON.createObjectNode();
            }
            default ->
                throw new TandemException(ErrorKind.UNKNOWN_OPERATION, "Operation " + operation + " is unknown.");
        };
    }

    private FeatureGroup update(String name, JsonNode request) {
        List<FeatureDefinition> additions = new ArrayList<>();
        request.path("FeatureAdditions").forEach(node -> additions.add(FeatureDefinition.fromJson(node)));
        JsonNode online = request.get("OnlineStoreConfig");
        boolean ttlGiven = online != null && online.has("TtlDuration");
        // {} (Unit and Value absent) removes the TTL: how boto3 sends "no TTL".
        TtlDuration ttl = ttlGiven ? TtlDuration.fromJson(online.get("TtlDuration")) : null;
        return groups.update(name, additions, ttlGiven, ttl, request.get("ThroughputConfig"));
    }

    private static ObjectNode arn(FeatureGroup group) {
        ObjectNode out = JSON.createObjectNode();
        out.put("FeatureGroupArn", group.arn());
        return out;
    }

    private ObjectNode describe(FeatureGroup group) {
        ObjectNode out = JSON.createObjectNode();
        out.put("FeatureGroupArn", group.arn());
        out.put("FeatureGroupName", group.name());
        out.put("RecordIdentifierFeatureName", group.recordIdentifierFeatureName());
        out.put("EventTimeFeatureName", group.eventTimeFeatureName());
        ArrayNode features = out.putArray("FeatureDefinitions");
        for (FeatureDefinition feature : group.features()) {
            ObjectNode node = features.addObject();
            node.put("FeatureName", feature.name());
            node.put("FeatureType", feature.type().wireName());
            if (feature.collectionType() != null) {
                node.put("CollectionType", feature.collectionType());
                if (feature.vectorDimension() > 0) {
                    node.putObject("CollectionConfig")
                            .putObject("VectorConfig")
                            .put("Dimension", feature.vectorDimension());
                }
            }
        }
        out.put("CreationTime", SageMakerOperations.seconds(group.createdAt()));
        out.put("LastModifiedTime", SageMakerOperations.seconds(group.lastModifiedAt()));
        if (group.onlineStoreConfig() != null) {
            out.set("OnlineStoreConfig", group.onlineStoreConfig());
        }
        if (group.offlineStoreConfig() != null) {
            out.set("OfflineStoreConfig", group.offlineStoreConfig());
            out.set("OfflineStoreStatus", offlineStatus(group));
        }
        out.set(
                "ThroughputConfig",
                group.throughputConfig() != null
                        ? group.throughputConfig()
                        : JSON.createObjectNode().put("ThroughputMode", "OnDemand"));
        if (group.roleArn() != null) {
            out.put("RoleArn", group.roleArn());
        }
        out.put("FeatureGroupStatus", group.status().name());
        if (group.failureReason() != null) {
            out.put("FailureReason", group.failureReason());
        }
        out.putObject("LastUpdateStatus").put("Status", "Successful");
        if (group.description() != null) {
            out.put("Description", group.description());
        }
        // A required output member; SageMaker sends it empty.
        out.put("NextToken", "");
        return out;
    }

    /** Active, or Blocked with the reason its last flush failed (the rows wait in the journal). */
    private ObjectNode offlineStatus(FeatureGroup group) {
        ObjectNode status = JSON.createObjectNode();
        status.put("Status", offlineStatusName(group));
        offline.blockedReason(group.name()).ifPresent(reason -> status.put("BlockedReason", reason));
        return status;
    }

    private ObjectNode list(JsonNode request) {
        List<FeatureGroup> all = new ArrayList<>(groups.all());
        if (request.hasNonNull("FeatureGroupStatusEquals")) {
            String status = request.get("FeatureGroupStatusEquals").asText();
            all.removeIf(group -> !group.status().name().equals(status));
        }
        if (request.hasNonNull("OfflineStoreStatusEquals")) {
            String status = request.get("OfflineStoreStatusEquals").asText();
            all.removeIf(group -> !offlineStatusName(group).equals(status));
        }
        // The shared listing sorts by "Status": the group's, or its offline store's when asked.
        ObjectNode sorted = request.deepCopy();
        boolean byOfflineStatus =
                "OfflineStoreStatus".equals(request.path("SortBy").asText());
        if (byOfflineStatus) {
            sorted.put("SortBy", "Status");
        }
        Function<FeatureGroup, String> status = byOfflineStatus
                ? this::offlineStatusName
                : group -> group.status().name();
        return SageMakerOperations.list(
                sorted,
                "FeatureGroupSummaries",
                all,
                FeatureGroup::name,
                FeatureGroup::createdAt,
                status,
                this::summary);
    }

    private String offlineStatusName(FeatureGroup group) {
        if (!group.hasOfflineStore()) {
            return "Disabled";
        }
        return offline.blockedReason(group.name()).isPresent() ? "Blocked" : "Active";
    }

    private ObjectNode summary(FeatureGroup group) {
        ObjectNode out = JSON.createObjectNode();
        out.put("FeatureGroupName", group.name());
        out.put("FeatureGroupArn", group.arn());
        out.put("CreationTime", SageMakerOperations.seconds(group.createdAt()));
        out.put("FeatureGroupStatus", group.status().name());
        if (group.hasOfflineStore()) {
            out.set("OfflineStoreStatus", offlineStatus(group));
        }
        return out;
    }

    private static ObjectNode describeMetadata(FeatureGroup group, String featureName) {
        FeatureDefinition feature = group.feature(featureName)
                .orElseThrow(() -> new TandemException(
                        ErrorKind.RESOURCE_NOT_FOUND,
                        "Resource Not Found: feature " + featureName + " is not in feature group " + group.name()
                                + "."));
        FeatureMetadata metadata = group.metadata().get(featureName);
        ObjectNode out = JSON.createObjectNode();
        out.put("FeatureGroupArn", group.arn());
        out.put("FeatureGroupName", group.name());
        out.put("FeatureName", feature.name());
        out.put("FeatureType", feature.type().wireName());
        out.put(
                "CreationTime",
                SageMakerOperations.seconds(metadata == null ? group.createdAt() : metadata.createdAt()));
        out.put(
                "LastModifiedTime",
                SageMakerOperations.seconds(metadata == null ? group.createdAt() : metadata.lastModifiedAt()));
        if (metadata != null && metadata.description() != null) {
            out.put("Description", metadata.description());
        }
        ArrayNode parameters = out.putArray("Parameters");
        if (metadata != null) {
            new TreeMap<>(metadata.parameters()).forEach((key, value) -> {
                ObjectNode parameter = parameters.addObject();
                parameter.put("Key", key);
                parameter.put("Value", value);
            });
        }
        return out;
    }
}
