package dev.tandem.kubernetes.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.server.endpoint.InstanceAddress;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import org.junit.jupiter.api.Test;

/**
 * What a slice says of its instances, in both versions of the API: the ready ones, named by their
 * pods, on the instances' port. (The API server the tests run serves only {@code v1beta1}: the
 * {@code v1} objects are built here.)
 */
class ReadyInstancesTest {

    @Test
    void aV1SliceListsItsReadyPodsOnTheInstancesPort() {
        var slice = new EndpointSliceBuilder()
                .withNewMetadata()
                .withName("scorer-alltraffic-x1")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewPort()
                .withName("metrics")
                .withPort(9090)
                .endPort()
                .addNewPort()
                .withName("http")
                .withPort(8080)
                .endPort()
                // Ready.
                .addNewEndpoint()
                .withAddresses("10.0.0.1")
                .withNewConditions()
                .withReady(true)
                .endConditions()
                .withNewTargetRef()
                .withKind("Pod")
                .withName("scorer-7f9c-abcde")
                .endTargetRef()
                .endEndpoint()
                // Not ready (starting, or terminating): not routed to.
                .addNewEndpoint()
                .withAddresses("10.0.0.2")
                .withNewConditions()
                .withReady(false)
                .endConditions()
                .endEndpoint()
                // Readiness unknown: Kubernetes says to read it as ready; no pod named.
                .addNewEndpoint()
                .withAddresses("10.0.0.3")
                .endEndpoint()
                .build();

        assertThat(ReadyInstances.addresses(slice))
                .containsExactly(
                        new InstanceAddress("scorer-7f9c-abcde", "10.0.0.1", 8080),
                        new InstanceAddress("10.0.0.3:8080", "10.0.0.3", 8080));
    }

    @Test
    void aV1beta1SliceReadsTheSameAndASliceWithoutTheInstancesPortListsNone() {
        var slice = new io.fabric8.kubernetes.api.model.discovery.v1beta1.EndpointSliceBuilder()
                .withNewMetadata()
                .withName("scorer-alltraffic-x2")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewPort()
                .withPort(8080)
                .endPort()
                .addNewEndpoint()
                .withAddresses("10.0.0.4")
                .withNewConditions()
                .withReady(true)
                .endConditions()
                .withNewTargetRef()
                .withKind("Pod")
                .withName("scorer-7f9c-fghij")
                .endTargetRef()
                .endEndpoint()
                .build();

        assertThat(ReadyInstances.addresses(slice))
                .as("the only port is the instances'")
                .containsExactly(new InstanceAddress("scorer-7f9c-fghij", "10.0.0.4", 8080));

        slice.getPorts()
                .add(new io.fabric8.kubernetes.api.model.discovery.v1beta1.EndpointPort(null, "metrics", 9090, "TCP"));
        slice.getPorts().get(0).setName("admin");
        assertThat(ReadyInstances.addresses(slice))
                .as("several ports, none named http: which is the instances' is not known")
                .isEmpty();
    }
}
