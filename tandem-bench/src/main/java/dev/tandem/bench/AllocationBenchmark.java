package dev.tandem.bench;

import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * What the server allocates to carry one request's body, in bytes its event-loop threads allocate
 * per request ({@code ThreadMXBean.getThreadAllocatedBytes}; the client's own threads are not
 * counted): through a pipeline of three in-process identity stages (each answers the bytes it was
 * given, on the event loop), bodies of 512 bytes, 64 KB and 1 MB; and through three {@code exec}
 * containers that echo their body, up to 5 MB. A body that crosses Tandem without copies costs its
 * size about once each time it is read (the array it is read into); each copy adds its size again.
 *
 * <p>Usage: {@code tandem-bench/run allocation [--requests N]}
 */
public final class AllocationBenchmark {
    private AllocationBenchmark() {}

    public static void main(String[] args) throws Exception {
        int requests = BenchmarkArgs.option(args, "--requests", 2000);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (TandemServer tandem = TandemServer.start(
                ServerConfig.defaults().withPort(0).withDataDir(WorkDirectory.create("tandem-alloc")))) {
            PipelineOverheadBenchmark.deploy(
                    tandem,
                    Path.of("."),
                    """
                    {"ModelName": "identity", "Containers": [
                      {"ContainerHostname": "s1", "Image": "builtin:identity"},
                      {"ContainerHostname": "s2", "Image": "builtin:identity"},
                      {"ContainerHostname": "s3", "Image": "builtin:identity"}]}
                    """);
            Path work = WorkDirectory.create("tandem-alloc-containers");
            Path echo = EchoContainer.writeLauncher(work);
            PipelineOverheadBenchmark.deploy(
                    tandem,
                    work,
                    """
                    {"ModelName": "echoes", "Containers": [
                      {"ContainerHostname": "e1", "Image": "exec:%1$s"},
                      {"ContainerHostname": "e2", "Image": "exec:%1$s"},
                      {"ContainerHostname": "e3", "Image": "exec:%1$s"}]}
                    """
                            .formatted(echo));
            HttpClient client = HttpClient.newHttpClient();
            System.out.println("Three in-process identity stages");
            table(client, threads, tandem.port(), "identity", requests, 512, 64 * 1024, 1024 * 1024);
            System.out.println();
            System.out.println(
                    "Three exec containers echoing their body (the body crosses Tandem 8 times: 4 in, 4 out)");
            table(client, threads, tandem.port(), "echoes", requests / 4, 512, 64 * 1024, 1024 * 1024, 5 * 1024 * 1024);
        }
    }

    private static void table(
            HttpClient client,
            com.sun.management.ThreadMXBean threads,
            int port,
            String endpoint,
            int requests,
            int... sizes)
            throws Exception {
        URI url = URI.create("http://127.0.0.1:" + port + "/endpoints/" + endpoint + "/invocations");
        System.out.printf(Locale.ROOT, "| body | bytes the server allocates per request | per body byte |%n");
        System.out.println("| --- | --- | --- |");
        for (int size : sizes) {
            byte[] body = new byte[size];
            Arrays.fill(body, (byte) 'x');
            HttpRequest request = HttpRequest.newBuilder(url)
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
            int rounds = size >= 1024 * 1024 ? Math.max(50, requests / 20) : requests;
            for (int i = 0; i < rounds / 2; i++) {
                client.send(request, HttpResponse.BodyHandlers.discarding());
            }
            long before = serverAllocated(threads);
            for (int i = 0; i < rounds; i++) {
                HttpResponse<Void> answer = client.send(request, HttpResponse.BodyHandlers.discarding());
                if (answer.statusCode() != 200) {
                    throw new IllegalStateException("status " + answer.statusCode());
                }
            }
            double perRequest = (serverAllocated(threads) - before) / (double) rounds;
            System.out.printf(Locale.ROOT, "| %,d B | %,.0f B | %.2f |%n", size, perRequest, perRequest / size);
        }
    }

    /** What the server's event-loop threads have allocated so far. */
    private static long serverAllocated(com.sun.management.ThreadMXBean threads) {
        long total = 0;
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().startsWith("vert.x-eventloop")) {
                long bytes = threads.getThreadAllocatedBytes(thread.threadId());
                if (bytes > 0) {
                    total += bytes;
                }
            }
        }
        return total;
    }
}
