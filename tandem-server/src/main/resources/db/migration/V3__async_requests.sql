-- Asynchronous invocations: the durable queue, one FIFO per endpoint (by seq), and what became of
-- each request. A request found IN_PROGRESS when the server starts was cut off by a restart.
CREATE TABLE async_request (
    id                 VARCHAR(36)   PRIMARY KEY,
    seq                BIGINT        GENERATED ALWAYS AS IDENTITY,
    endpoint           VARCHAR(63)   NOT NULL,
    inference_id       VARCHAR(64)   NOT NULL,
    input_location     VARCHAR(1024),
    inline_body        VARBINARY(128000),
    content_type       VARCHAR(1024),
    accept             VARCHAR(1024),
    custom_attributes  VARCHAR(1024),
    ttl_seconds        INT           NOT NULL,
    timeout_seconds    INT           NOT NULL,
    output_location    VARCHAR(2048) NOT NULL,
    failure_location   VARCHAR(2048) NOT NULL,
    status             VARCHAR(16)   NOT NULL,
    attempts           INT           NOT NULL,
    received_at        TIMESTAMP(3) WITH TIME ZONE NOT NULL,
    expires_at         TIMESTAMP(3) WITH TIME ZONE NOT NULL,
    started_at         TIMESTAMP(3) WITH TIME ZONE,
    ended_at           TIMESTAMP(3) WITH TIME ZONE,
    failure_reason     VARCHAR(2048)
);

CREATE INDEX async_request_queue ON async_request (endpoint, status, seq);
CREATE INDEX async_request_inference ON async_request (endpoint, inference_id, seq);
