package dev.tandem.server.features.offline;

import dev.tandem.server.features.FeatureDefinition;
import dev.tandem.server.features.FeatureGroup;
import dev.tandem.server.features.FeatureType;
import dev.tandem.server.features.FeatureValue;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * Writes rows of one feature group as a Parquet file in the offline store's columns: each feature
 * as its type (Integral a 64-bit integer, Fractional a double, String UTF-8 text; a collection a
 * Parquet list of them), then {@code write_time} and {@code api_invocation_time} as UTC timestamps
 * in milliseconds and {@code is_deleted}. Every column may be null: a delete marker carries only
 * the identifier and the event time, and a row written before a feature was added lacks it.
 */
final class ParquetRows {
    static final String WRITE_TIME = "write_time";
    static final String API_INVOCATION_TIME = "api_invocation_time";
    static final String IS_DELETED = "is_deleted";

    private ParquetRows() {}

    /** The file's schema: the group's features as they are now, then the offline store's columns. */
    static MessageType schema(FeatureGroup group) {
        List<Type> columns = new ArrayList<>();
        for (FeatureDefinition feature : group.features()) {
            columns.add(feature.isCollection() ? list(feature) : single(feature.type(), feature.name()));
        }
        LogicalTypeAnnotation utcMillis =
                LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MILLIS);
        columns.add(Types.optional(PrimitiveTypeName.INT64).as(utcMillis).named(WRITE_TIME));
        columns.add(Types.optional(PrimitiveTypeName.INT64).as(utcMillis).named(API_INVOCATION_TIME));
        columns.add(Types.optional(PrimitiveTypeName.BOOLEAN).named(IS_DELETED));
        return new MessageType("feature_group_record", columns);
    }

    private static Type single(FeatureType type, String name) {
        return switch (type) {
            case INTEGRAL -> Types.optional(PrimitiveTypeName.INT64).named(name);
            case FRACTIONAL -> Types.optional(PrimitiveTypeName.DOUBLE).named(name);
            case STRING ->
                Types.optional(PrimitiveTypeName.BINARY)
                        .as(LogicalTypeAnnotation.stringType())
                        .named(name);
        };
    }

    /** A collection as Parquet's standard three-level list, which every reader understands. */
    private static Type list(FeatureDefinition feature) {
        return Types.optionalGroup()
                .as(LogicalTypeAnnotation.listType())
                .addField(Types.repeatedGroup()
                        .addField(single(feature.type(), "element"))
                        .named("list"))
                .named(feature.name());
    }

    /** Writes {@code rows} to {@code file}, replacing it, with {@code writeTime} as their write time. */
    static void write(Path file, FeatureGroup group, List<OfflineRow> rows, Instant writeTime) throws IOException {
        MessageType schema = schema(group);
        SimpleGroupFactory factory = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withType(schema)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build()) {
            for (OfflineRow row : rows) {
                writer.write(toGroup(factory, group, row, writeTime));
            }
        }
    }

    private static Group toGroup(SimpleGroupFactory factory, FeatureGroup group, OfflineRow row, Instant writeTime) {
        Group out = factory.newGroup();
        for (FeatureValue value : row.features()) {
            FeatureDefinition feature = group.feature(value.name()).orElse(null);
            if (feature == null) {
                // A feature the group no longer has cannot be: features are only ever added.
                continue;
            }
            List<String> elements = value.values();
            String single = value.value();
            if (feature.isCollection() && elements != null) {
                Group list = out.addGroup(feature.name());
                for (String element : elements) {
                    append(list.addGroup("list"), "element", feature.type(), element);
                }
            } else if (!feature.isCollection() && single != null) {
                append(out, feature.name(), feature.type(), single);
            }
        }
        out.append(WRITE_TIME, writeTime.toEpochMilli());
        out.append(API_INVOCATION_TIME, row.apiInvocationTime().toEpochMilli());
        out.append(IS_DELETED, row.deleted());
        return out;
    }

    private static void append(Group group, String field, FeatureType type, String value) {
        switch (type) {
            case INTEGRAL -> group.append(field, new java.math.BigDecimal(value.trim()).longValueExact());
            case FRACTIONAL -> group.append(field, Double.parseDouble(value.trim()));
            case STRING -> group.append(field, value);
        }
    }
}
