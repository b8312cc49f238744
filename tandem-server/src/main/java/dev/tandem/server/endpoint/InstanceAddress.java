package dev.tandem.server.endpoint;

/**
 * Where one ready instance of a variant listens: a {@code tandem instance} process serving the
 * variant's whole pipeline over SageMaker's container contract.
 *
 * @param id the instance's name in the cluster (a pod's name), as logs and errors name it
 */
public record InstanceAddress(String id, String host, int port) {}
