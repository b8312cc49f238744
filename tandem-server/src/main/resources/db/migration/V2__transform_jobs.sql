-- Batch transform jobs: the CreateTransformJob request (JSON, defaults filled in) and where the
-- job stands. A job found InProgress or Stopping when the server starts was cut off by a restart.
CREATE TABLE transform_job (
    name              VARCHAR(63)   PRIMARY KEY,
    arn               VARCHAR(2048) NOT NULL,
    definition        CLOB          NOT NULL,
    status            VARCHAR(32)   NOT NULL,
    failure_reason    VARCHAR(2048),
    created_at        TIMESTAMP(3) WITH TIME ZONE NOT NULL,
    started_at        TIMESTAMP(3) WITH TIME ZONE,
    ended_at          TIMESTAMP(3) WITH TIME ZONE,
    last_modified_at  TIMESTAMP(3) WITH TIME ZONE NOT NULL
);
