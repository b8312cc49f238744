-- Models, endpoint configurations and endpoints, as the control plane created them. Each keeps
-- the request that defined it (JSON) so that a restarted server rebuilds exactly what it ran.
CREATE TABLE model (
    name        VARCHAR(63)   PRIMARY KEY,
    arn         VARCHAR(2048) NOT NULL,
    definition  CLOB          NOT NULL,
    created_at  TIMESTAMP(3) WITH TIME ZONE NOT NULL
);

CREATE TABLE endpoint_config (
    name        VARCHAR(63)   PRIMARY KEY,
    arn         VARCHAR(2048) NOT NULL,
    definition  CLOB          NOT NULL,
    created_at  TIMESTAMP(3) WITH TIME ZONE NOT NULL
);

-- An endpoint's deployment: the config it runs (copied, since a config may be deleted while in
-- use), its status, and each variant's current weight and instance count.
CREATE TABLE endpoint (
    name              VARCHAR(63)   PRIMARY KEY,
    arn               VARCHAR(2048) NOT NULL,
    config_name       VARCHAR(63)   NOT NULL,
    deployment        CLOB          NOT NULL,
    status            VARCHAR(32)   NOT NULL,
    failure_reason    VARCHAR(1024),
    created_at        TIMESTAMP(3) WITH TIME ZONE NOT NULL,
    last_modified_at  TIMESTAMP(3) WITH TIME ZONE NOT NULL
);
