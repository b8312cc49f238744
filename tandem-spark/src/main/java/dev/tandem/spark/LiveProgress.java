package dev.tandem.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * What the tasks still running have counted so far. An accumulator's value on the driver grows
 * only when a task ends; the running tasks' counts arrive with each executor heartbeat, and a task
 * whose attempt fails (its executor lost) drops out without a trace, so a re-run is not counted
 * twice.
 */
final class LiveProgress extends SparkListener {
    /** By task id: the latest count of each accumulator, by its id. */
    private final Map<Long, Map<Long, Long>> running = new ConcurrentHashMap<>();

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        for (Tuple4<Object, Object, Object, Seq<AccumulableInfo>> task :
                CollectionConverters.asJava(update.accumUpdates())) {
            long taskId = (Long) task._1();
            Map<Long, Long> counts = running.computeIfAbsent(taskId, id -> new ConcurrentHashMap<>());
            for (AccumulableInfo info : CollectionConverters.asJava(task._4())) {
                if (info.update().isDefined() && info.update().get() instanceof Number count) {
                    counts.put(info.id(), count.longValue());
                }
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        running.remove(end.taskInfo().taskId());
    }

    /** The accumulator's total: the ended tasks' as Spark merged them, and the running ones' so far. */
    long total(LongAccumulator accumulator) {
        long live = 0;
        for (Map<Long, Long> counts : running.values()) {
            live += counts.getOrDefault(accumulator.id(), 0L);
        }
        return accumulator.value() + live;
    }
}
