package dev.tandem.bench;

import dev.tandem.kubernetes.KubeApiServer;
import dev.tandem.kubernetes.Kubelet;
import dev.tandem.kubernetes.operator.ChildNames;
import dev.tandem.kubernetes.resources.EndpointResource;
import dev.tandem.server.endpoint.InstanceAddress;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cost of the Kubernetes gateway's hop, measured as {@link HopBenchmark} measures a container
 * hop: wrk, in a process of its own, POSTs 512-byte bodies to
 *
 * <ol>
 *   <li>a {@code tandem instance} directly — the pod, its pipeline one container answering in
 *       microseconds (nginx returning a constant body);
 *   <li>nginx as a keep-alive reverse proxy in front of that instance, what an ingress adds;
 *   <li>{@code tandem serve --kubernetes} in front of it, the endpoint routed through a real API
 *       server (the instance published in the variant's EndpointSlice, as for a ready pod).
 * </ol>
 *
 * Each at 1, 16 and 64 connections, in rounds, every contender measured within the same round.
 * Needs the API server {@code .ci/kube-apiserver} builds, {@code wrk} and {@code nginx}.
 *
 * <p>Options: {@code --seconds N} a run (default 10), {@code --rounds N} (default 2), {@code
 * --payload N} bytes (default 512), {@code --connections 1,16,64}.
 */
public final class GatewayBenchmark {
    private static final String NAMESPACE = "bench";
    private static final String ENDPOINT = "hop";

    // The processes are held open by the try block and measured through their ports.
    @SuppressWarnings("try")
    public static void main(String[] args) throws Exception {
        int seconds = BenchmarkArgs.option(args, "--seconds", 10);
        int rounds = BenchmarkArgs.option(args, "--rounds", 2);
        int payload = BenchmarkArgs.option(args, "--payload", 512);
        int[] connections = BenchmarkArgs.numbers(args, "--connections", 1, 16, 64);
        Duration run = Duration.ofSeconds(seconds);
        Path root = Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath();
        Path work = WorkDirectory.create("tandem-gateway");
        Path container = HopBenchmark.constantContainer(work.resolve("container"));
        Wrk wrk = Wrk.posting(work, payload, "application/octet-stream");
        String model =
                """
                {"ModelName": "%s", "Containers": [{"ContainerHostname": "c1", "Image": "exec:%s",
                 "Environment": {"TANDEM_MAX_IN_FLIGHT": "64"}}]}
                """
                        .formatted(ENDPOINT, container);
        Path pipeline = work.resolve("pipeline.json");
        Files.writeString(pipeline, model);

        int instancePort = ServerProcess.freePort();
        int proxyPort = NginxProcess.freePort();
        int gatewayPort = ServerProcess.freePort();
        try (KubeApiServer apiServer = KubeApiServer.start();
                KubernetesClient client = apiServer.client();
                ServerProcess instance = ServerProcess.launch(
                        root,
                        List.of(
                                "instance",
                                pipeline.toString(),
                                "--host",
                                "127.0.0.1",
                                "--port",
                                Integer.toString(instancePort),
                                "--data-dir",
                                work.resolve("instance").toString()),
                        Map.of(),
                        instancePort,
                        work.resolve("instance.log"));
                NginxProcess proxy = NginxProcess.proxyChain(work.resolve("proxy"), List.of(proxyPort), instancePort)) {
            instance.awaitAnswer("/invocations", "application/octet-stream", "ready?", work.resolve("instance.log"));
            Kubelet.namespace(client, NAMESPACE);
            client.resource(client.getKubernetesSerialization()
                            .unmarshal(
                                    """
                                    apiVersion: sagemaker.tandem.dev/v1
                                    kind: SageMakerEndpoint
                                    metadata: {name: %s, namespace: %s}
                                    spec:
                                      name: %s
                                      arn: arn:aws:sagemaker:us-east-1:000000000000:endpoint/%s
                                      configName: %s
                                      createdAt: "2026-12-06T00:00:00Z"
                                      deployment:
                                        Variants:
                                        - {VariantName: AllTraffic, InstanceCount: 1, Weight: 1.0, Model: %s}
                                    """
                                            .formatted(
                                                    ENDPOINT,
                                                    NAMESPACE,
                                                    ENDPOINT,
                                                    ENDPOINT,
                                                    ENDPOINT,
                                                    model.replace("\n", " ")),
                                    EndpointResource.class))
                    .create();
            Kubelet.publish(
                    client,
                    NAMESPACE,
                    ChildNames.service(ENDPOINT, "AllTraffic"),
                    List.of(new InstanceAddress(ENDPOINT + "-0", "127.0.0.1", instancePort)));
            Path kubeconfig = work.resolve("kubeconfig");
            Files.writeString(kubeconfig, apiServer.kubeConfigYaml());
            try (ServerProcess gateway = ServerProcess.launch(
                    root,
                    List.of(
                            "serve",
                            "--kubernetes",
                            "--namespace",
                            NAMESPACE,
                            "--port",
                            Integer.toString(gatewayPort),
                            "--data-dir",
                            work.resolve("gateway").toString()),
                    Map.of("KUBECONFIG", kubeconfig.toString()),
                    gatewayPort,
                    work.resolve("gateway.log"))) {
                String gatewayPath = "/endpoints/" + ENDPOINT + "/invocations";
                gateway.awaitAnswer(gatewayPath, "application/octet-stream", "ready?", work.resolve("gateway.log"));
                String directUrl = "http://127.0.0.1:" + instancePort + "/invocations";
                String proxyUrl = "http://127.0.0.1:" + proxyPort + "/invocations";
                String gatewayUrl = "http://127.0.0.1:" + gatewayPort + gatewayPath;

                // Warm-up, not reported: the JIT compiles both servers' paths, the pools open.
                for (String url : List.of(directUrl, proxyUrl, gatewayUrl)) {
                    wrk.run(url, 16, Duration.ofSeconds(5));
                }
                System.out.printf(
                        Locale.ROOT,
                        "%d-byte POSTs from wrk, %d s a run; req/s (p50 / p99). %d cores.%n",
                        payload,
                        seconds,
                        Runtime.getRuntime().availableProcessors());
                System.out.printf(
                        Locale.ROOT,
                        "%n| round | connections | instance direct | nginx → instance | gateway → instance"
                                + " | gateway / nginx req/s | p50 | p99 |%n");
                System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
                for (int round = 1; round <= rounds; round++) {
                    for (int c : connections) {
                        Wrk.Result direct = wrk.run(directUrl, c, run);
                        Wrk.Result nginx = wrk.run(proxyUrl, c, run);
                        Wrk.Result ours = wrk.run(gatewayUrl, c, run);
                        long errors = direct.errors() + nginx.errors() + ours.errors();
                        System.out.printf(
                                Locale.ROOT,
                                "| %d | %d | %s | %s | %s | %.2f× | %.2f× | %.2f× |%s%n",
                                round,
                                c,
                                direct.cell(),
                                nginx.cell(),
                                ours.cell(),
                                ours.perSecond() / nginx.perSecond(),
                                ours.p50Micros() / nginx.p50Micros(),
                                ours.p99Micros() / nginx.p99Micros(),
                                errors == 0 ? "" : " errors: " + errors);
                    }
                }
            }
        }
    }
}
