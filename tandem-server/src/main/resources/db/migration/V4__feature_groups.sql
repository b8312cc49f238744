-- Feature groups: each kept as the JSON of its whole definition and state (features, stores,
-- status, feature metadata), rewritten on every change. Their records live in the online store.
CREATE TABLE feature_group (
    name        VARCHAR(64)   PRIMARY KEY,
    arn         VARCHAR(2048) NOT NULL,
    definition  CLOB          NOT NULL,
    created_at  TIMESTAMP(3) WITH TIME ZONE NOT NULL
);
