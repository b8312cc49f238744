package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.it.support.Gateway;
import dev.tandem.it.support.InstancePod;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.kubernetes.KubeApiServer;
import dev.tandem.kubernetes.Kubelet;
import dev.tandem.kubernetes.operator.TandemOperator;
import dev.tandem.server.endpoint.InstanceAddress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.ContainerDefinition;
import software.amazon.awssdk.services.sagemaker.model.DescribeEndpointRequest;
import software.amazon.awssdk.services.sagemaker.model.DesiredWeightAndCapacity;
import software.amazon.awssdk.services.sagemaker.model.InferenceExecutionMode;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariant;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeClient;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointResponse;
import software.amazon.awssdk.services.sagemakerruntime.model.ModelErrorException;
import software.amazon.awssdk.services.sagemakerruntime.model.ModelNotReadyException;
import software.amazon.awssdk.services.sagemakerruntime.model.SageMakerRuntimeException;
import software.amazon.awssdk.services.sagemakerruntime.model.ValidationErrorException;

/**
 * InvokeEndpoint through {@code tandem serve --kubernetes}: two gateways route each request to a
 * ready instance of the cluster — real {@code tandem instance} processes running the pipeline the
 * operator's ConfigMap holds, started by the test as a kubelet would start the pods, and published
 * as the variant's EndpointSlices as Kubernetes publishes ready pods. Everything a client sees is
 * what one machine shows: the answer, Server-Timing per stage, the variant, the errors with their
 * members. Blue/green and scaling run under load without a failed request (the SDK's retries off);
 * a dying instance costs no request and hangs none.
 */
class KubernetesRoutingIT {
    private static final String IMAGE = "registry.example/tandem:it";
    private static final String NAMESPACE = "routing-it";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path workDir;

    /** Every process the test started, stopped after it whatever happens. */
    private final List<Gateway> gateways = new CopyOnWriteArrayList<>();

    private final List<InstancePod> pods = new CopyOnWriteArrayList<>();

    private final AtomicInteger instanceCounter = new AtomicInteger();

    @AfterEach
    void stopProcesses() {
        pods.forEach(InstancePod::close);
        gateways.forEach(Gateway::close);
    }

    // The operator runs for the try block's length; the test talks to it through the API server.
    @SuppressWarnings("try")
    @Test
    void gatewaysRouteToTheClustersInstancesThroughBlueGreenScalingAndADyingInstance() throws Exception {
        TandemFixture.writeContainerScript(workDir.resolve("container"));
        try (KubeApiServer apiServer = KubeApiServer.start();
                KubernetesClient client = apiServer.client()) {
            Kubelet.namespace(client, NAMESPACE);
            Path kubeconfig = workDir.resolve("kubeconfig");
            Files.writeString(kubeconfig, apiServer.kubeConfigYaml());
            try (TandemOperator operator = TandemOperator.start(client, NAMESPACE, IMAGE)) {
                Gateway firstGateway = gateway(kubeconfig, "first");
                Gateway secondGateway = gateway(kubeconfig, "second");
                URI first = firstGateway.url();
                SageMakerClient sm = firstGateway.sageMaker();
                List<SageMakerRuntimeClient> runtimes = List.of(firstGateway.runtime(), secondGateway.runtime());

                // v1: a direct-mode pipeline of an echoing container and a failing one.
                createModel(sm, "scorer-v1", "v1");
                createConfig(sm, "scorer-v1", 2);
                sm.createEndpoint(r -> r.endpointName("scorer").endpointConfigName("scorer-v1"));
                Deployment blue = Kubelet.await(() -> deployments(client, 1, null), "the Deployment of v1");
                List<InstancePod> bluePods = startPods(client, blue, 2);
                Kubelet.ready(client, blue);
                String service = service(client).getMetadata().getName();
                Kubelet.publish(client, NAMESPACE, service, addresses(bluePods));
                sm.waiter().waitUntilEndpointInService(describe(), TandemFixture.FAST_WAITER);

                // Both gateways answer as one machine would, whichever instance serves.
                for (SageMakerRuntimeClient runtime : runtimes) {
                    InvokeEndpointResponse answer = awaitAnswer(runtime, "v1");
                    assertThat(answer.invokedProductionVariant()).isEqualTo("AllTraffic");
                    assertThat(answer.contentType()).isEqualTo("text/csv");
                }
                HttpResponse<String> raw = HTTP.send(
                        HttpRequest.newBuilder(first.resolve("/endpoints/scorer/invocations"))
                                .header("Content-Type", "text/csv")
                                .header("X-Amzn-SageMaker-Target-Container-Hostname", "echo")
                                .header("X-Tandem-Debug", "stages")
                                .POST(HttpRequest.BodyPublishers.ofString("1,2"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(raw.statusCode()).as(raw.body()).isEqualTo(200);
                assertThat(raw.headers().firstValue("Server-Timing").orElseThrow())
                        .as("the instance's stages, then the time the gateway and the hop added")
                        .matches("echo;dur=\\d+\\.\\d{3}, tandem;dur=\\d+\\.\\d{3}");
                assertThat(raw.headers().firstValue("X-Tandem-Stages").orElseThrow())
                        .startsWith("echo;bytes=" + raw.body().length());

                // Errors pass through with their members, the pod named where its logs are.
                assertThatThrownBy(() -> invoke(runtimes.get(1), "failing"))
                        .isInstanceOfSatisfying(ModelErrorException.class, e -> {
                            assertThat(e.statusCode()).isEqualTo(424);
                            assertThat(e.originalStatusCode()).isEqualTo(500);
                            assertThat(e.originalMessage()).isEqualTo("boom");
                            assertThat(e.logStreamArn())
                                    .matches(
                                            ".*/aws/sagemaker/Endpoints/scorer:log-stream:AllTraffic/scorer-pod-\\d+/failing");
                        });
                assertThatThrownBy(() -> invoke(runtimes.get(0), "nope"))
                        .isInstanceOf(ValidationErrorException.class)
                        .hasMessageContaining("nope");

                // Least outstanding requests spreads the load over both instances.
                for (int i = 0; i < 40; i++) {
                    invoke(runtimes.get(i % 2), "echo");
                }
                for (InstancePod pod : bluePods) {
                    assertThat(pod.invocationsServed()).as(pod.address().id()).isPositive();
                }

                // Under load from here: no request may fail, the SDK's retries being off.
                Load load = new Load(runtimes);
                load.start(4);

                // Blue/green: v2's instances start beside v1's, traffic moves once they are ready.
                createModel(sm, "scorer-v2", "v2");
                createConfig(sm, "scorer-v2", 2);
                sm.updateEndpoint(r -> r.endpointName("scorer").endpointConfigName("scorer-v2"));
                Deployment green = Kubelet.await(
                        () -> deployments(client, 2, blue.getMetadata().getName()), "the Deployment of v2");
                List<InstancePod> greenPods = startPods(client, green, 2);
                Kubelet.ready(client, green);
                String greenRevision =
                        green.getSpec().getTemplate().getMetadata().getLabels().get(REVISION);
                Kubelet.await(
                        () -> greenRevision.equals(
                                        service(client).getSpec().getSelector().get(REVISION))
                                ? true
                                : null,
                        "the Service switched to v2");
                Kubelet.publish(client, NAMESPACE, service, addresses(greenPods));
                for (SageMakerRuntimeClient runtime : runtimes) {
                    awaitAnswer(runtime, "v2");
                }
                // Every gateway routes to v2 now: v1's pods stop, as Kubernetes stops them.
                for (InstancePod pod : bluePods) {
                    pod.stop();
                }
                sm.waiter().waitUntilEndpointInService(describe(), TandemFixture.FAST_WAITER);

                // Scaling: a third instance takes its share once published.
                sm.updateEndpointWeightsAndCapacities(r -> r.endpointName("scorer")
                        .desiredWeightsAndCapacities(DesiredWeightAndCapacity.builder()
                                .variantName("AllTraffic")
                                .desiredInstanceCount(3)
                                .build()));
                Deployment scaled = Kubelet.await(() -> deployments(client, 1, null), "v2 alone");
                Kubelet.await(
                        () -> client.apps()
                                                .deployments()
                                                .inNamespace(NAMESPACE)
                                                .withName(scaled.getMetadata().getName())
                                                .get()
                                                .getSpec()
                                                .getReplicas()
                                        == 3
                                ? true
                                : null,
                        "v2 scaled to 3");
                List<InstancePod> allGreen = new ArrayList<>(greenPods);
                allGreen.addAll(startPods(client, scaled, 1));
                Kubelet.ready(
                        client,
                        client.apps()
                                .deployments()
                                .inNamespace(NAMESPACE)
                                .withName(scaled.getMetadata().getName())
                                .get());
                Kubelet.publish(client, NAMESPACE, service, addresses(allGreen));
                sm.waiter().waitUntilEndpointInService(describe(), TandemFixture.FAST_WAITER);
                SageMakerClient other = secondGateway.sageMaker();
                Kubelet.await(
                        () -> other.describeEndpoint(r -> r.endpointName("scorer"))
                                                .productionVariants()
                                                .get(0)
                                                .currentInstanceCount()
                                        == 3
                                ? true
                                : null,
                        "three instances routed");
                InstancePod third = allGreen.get(2);
                long before = third.invocationsServed();
                Kubelet.await(() -> third.invocationsServed() > before ? true : null, "the third instance served");

                load.stop();
                assertThat(load.failures)
                        .as("requests failed during blue/green and scaling")
                        .isEmpty();
                assertThat(load.tags).contains("v1", "v2");
                assertThat(load.served.get()).isGreaterThan(50);

                // An instance dies before Kubernetes reports it: refused connections go to the others.
                InstancePod dying = allGreen.get(0);
                dying.kill();
                dying.process().process().onExit().get();
                for (int i = 0; i < 30; i++) {
                    long started = System.nanoTime();
                    assertThat(invoke(runtimes.get(i % 2), "echo")).startsWith("1,2>v2");
                    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
                }
                Kubelet.publish(client, NAMESPACE, service, addresses(allGreen.subList(1, 3)));

                // Every instance gone: a quick ServiceUnavailable, not a hang.
                allGreen.subList(1, 3).forEach(InstancePod::kill);
                for (InstancePod pod : allGreen) {
                    pod.process().process().onExit().get();
                }
                long started = System.nanoTime();
                assertThatThrownBy(() -> invoke(runtimes.get(0), "echo"))
                        .isInstanceOfSatisfying(SageMakerRuntimeException.class, e -> assertThat(e.statusCode())
                                .isEqualTo(503));
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));

                // DeleteEndpoint: no gateway routes it any more.
                sm.deleteEndpoint(r -> r.endpointName("scorer"));
                sm.waiter().waitUntilEndpointDeleted(describe(), TandemFixture.FAST_WAITER);
                for (SageMakerRuntimeClient runtime : runtimes) {
                    Kubelet.await(
                            () -> {
                                try {
                                    invoke(runtime, "echo");
                                    return null;
                                } catch (ValidationErrorException e) {
                                    return e.getMessage().contains("not found") ? true : null;
                                } catch (SageMakerRuntimeException e) {
                                    return null;
                                }
                            },
                            "the endpoint gone from the gateway");
                }
            }
        }
    }

    private static final String REVISION = "sagemaker.tandem.dev/revision";

    /** Requests sent without pause through both gateways, each answer or failure kept. */
    private static final class Load {
        final List<SageMakerRuntimeClient> runtimes;
        final AtomicBoolean running = new AtomicBoolean(true);
        final List<String> failures = new CopyOnWriteArrayList<>();
        final Set<String> tags = ConcurrentHashMap.newKeySet();
        final AtomicInteger served = new AtomicInteger();
        final List<Thread> threads = new ArrayList<>();

        Load(List<SageMakerRuntimeClient> runtimes) {
            this.runtimes = runtimes;
        }

        void start(int clients) {
            for (int c = 0; c < clients; c++) {
                SageMakerRuntimeClient runtime = runtimes.get(c % runtimes.size());
                threads.add(Thread.ofVirtual().start(() -> {
                    while (running.get()) {
                        try {
                            String body = invoke(runtime, "echo");
                            tags.add(body.substring(4, 6));
                            served.incrementAndGet();
                        } catch (RuntimeException e) {
                            failures.add(e.toString());
                        }
                    }
                }));
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join();
            }
        }
    }

    private static String invoke(SageMakerRuntimeClient runtime, String container) {
        return runtime.invokeEndpoint(r -> r.endpointName("scorer")
                        .targetContainerHostname(container)
                        .contentType("text/csv")
                        .body(SdkBytes.fromUtf8String("1,2")))
                .body()
                .asUtf8String();
    }

    /**
     * The first answer from the instances of {@code tag}, within 60 s. A gateway learns of ready
     * instances from its own watch of the cluster, a moment after the endpoint is InService, and
     * until then answers ModelNotReady (429), SageMaker's "try again shortly": that is retried.
     */
    private static InvokeEndpointResponse awaitAnswer(SageMakerRuntimeClient runtime, String tag) {
        return Kubelet.await(
                () -> {
                    InvokeEndpointResponse answer;
                    try {
                        answer = runtime.invokeEndpoint(r -> r.endpointName("scorer")
                                .targetContainerHostname("echo")
                                .contentType("text/csv")
                                .body(SdkBytes.fromUtf8String("1,2")));
                    } catch (ModelNotReadyException notYet) {
                        return null;
                    }
                    return answer.body().asUtf8String().startsWith("1,2>" + tag) ? answer : null;
                },
                "an answer of " + tag);
    }

    /** A model of two containers of the test's program, in direct mode: one echoes, tagged, one fails. */
    private void createModel(SageMakerClient sm, String name, String tag) {
        String program = "exec:" + workDir.resolve("container").resolve("serve");
        sm.createModel(r -> r.modelName(name)
                .inferenceExecutionConfig(c -> c.mode(InferenceExecutionMode.DIRECT))
                .containers(
                        ContainerDefinition.builder()
                                .containerHostname("echo")
                                .image(program)
                                .environment(Map.of("TAG", tag))
                                .build(),
                        ContainerDefinition.builder()
                                .containerHostname("failing")
                                .image(program)
                                .environment(Map.of("BEHAVIOUR", "fail", "FAIL_STATUS", "500", "FAIL_MESSAGE", "boom"))
                                .build()));
    }

    private static void createConfig(SageMakerClient sm, String name, int instances) {
        sm.createEndpointConfig(r -> r.endpointConfigName(name)
                .productionVariants(ProductionVariant.builder()
                        .variantName("AllTraffic")
                        .modelName(name)
                        .instanceType("ml.m5.large")
                        .initialInstanceCount(instances)
                        .build()));
    }

    /** Starts {@code count} pods of {@code deployment}; returns once each is ready. */
    private List<InstancePod> startPods(KubernetesClient client, Deployment deployment, int count) {
        List<InstancePod> pods = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            InstancePod pod =
                    InstancePod.start(client, deployment, "scorer-pod-" + instanceCounter.incrementAndGet(), workDir);
            this.pods.add(pod);
            pods.add(pod);
        }
        return pods;
    }

    private static List<InstanceAddress> addresses(List<InstancePod> pods) {
        return pods.stream().map(InstancePod::address).toList();
    }

    private static DescribeEndpointRequest describe() {
        return DescribeEndpointRequest.builder().endpointName("scorer").build();
    }

    private Gateway gateway(Path kubeconfig, String name) {
        Gateway gateway = Gateway.start(kubeconfig, NAMESPACE, workDir.resolve(name), Map.of());
        gateways.add(gateway);
        return gateway;
    }

    private static Service service(KubernetesClient client) {
        List<Service> services = client.services().inNamespace(NAMESPACE).list().getItems();
        return services.size() == 1 ? services.get(0) : null;
    }

    /** The namespace's Deployments when there are {@code count}: the one not named {@code besides}. */
    private static Deployment deployments(KubernetesClient client, int count, String besides) {
        List<Deployment> deployments =
                client.apps().deployments().inNamespace(NAMESPACE).list().getItems();
        if (deployments.size() != count) {
            return null;
        }
        return deployments.stream()
                .filter(d -> !d.getMetadata().getName().equals(besides))
                .findFirst()
                .orElse(null);
    }
}
