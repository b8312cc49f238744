package dev.tandem.it;

import dev.tandem.it.support.SparkCluster;
import dev.tandem.server.ServerConfig;

/**
 * Every case of {@link BatchTransformIT} again, with the server running its jobs on Spark (local
 * mode: each job's driver a process of its own, its tasks on two threads there): the same outputs,
 * the same failures, the same status API.
 */
class BatchTransformOnSparkIT extends BatchTransformIT {
    @Override
    ServerConfig engine(ServerConfig config) {
        return SparkCluster.local(config);
    }
}
