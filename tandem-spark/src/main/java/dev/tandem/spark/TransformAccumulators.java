package dev.tandem.spark;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/** The counters a job's tasks add to, summed by Spark on the driver. */
record TransformAccumulators(
        LongAccumulator bytesRead,
        LongAccumulator records,
        LongAccumulator requests,
        LongAccumulator filesDone,
        LongAccumulator filesFailed)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    static TransformAccumulators register(SparkContext spark) {
        return new TransformAccumulators(
                spark.longAccumulator("tandem.bytesRead"),
                spark.longAccumulator("tandem.records"),
                spark.longAccumulator("tandem.requests"),
                spark.longAccumulator("tandem.filesDone"),
                spark.longAccumulator("tandem.filesFailed"));
    }

    List<LongAccumulator> all() {
        return List.of(bytesRead, records, requests, filesDone, filesFailed);
    }
}
