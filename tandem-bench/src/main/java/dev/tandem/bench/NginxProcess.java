package dev.tandem.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Debian's nginx in a process of its own, under a prefix folder of the benchmark's: the baseline
 * every operator trusts, as a keep-alive reverse proxy or as a container answering a constant body.
 */
final class NginxProcess implements AutoCloseable {
    private final Process process;

    private NginxProcess(Process process) {
        this.process = process;
    }

    /**
     * The {@code http} block's settings shared by every nginx here: no access log, enough
     * connections, keep-alive that outlasts a run, and temp folders under the prefix.
     */
    static String httpSettings(String prefix) {
        return """
                access_log off;
                keepalive_requests 10000000;
                keepalive_timeout 300s;
                client_body_buffer_size 1m;
                client_max_body_size 16m;
                client_body_temp_path %1$s/client-body;
                proxy_temp_path %1$s/proxy;
                fastcgi_temp_path %1$s/fastcgi;
                uwsgi_temp_path %1$s/uwsgi;
                scgi_temp_path %1$s/scgi;
                """
                .formatted(prefix);
    }

    /** The lines before the {@code http} block: workers, the pid file and errors to stderr. */
    static String mainSettings(String prefix) {
        return """
                worker_processes auto;
                daemon off;
                pid %s/nginx.pid;
                error_log stderr warn;
                events { worker_connections 4096; }
                """
                .formatted(prefix);
    }

    /**
     * nginx as a reverse proxy: each of {@code listenPorts} forwards to the next, the last to
     * {@code upstreamPort}, over kept-alive HTTP/1.1 connections — one hop a port.
     */
    static NginxProcess proxyChain(Path prefix, List<Integer> listenPorts, int upstreamPort)
            throws IOException, InterruptedException {
        StringBuilder servers = new StringBuilder();
        for (int i = 0; i < listenPorts.size(); i++) {
            int next = i + 1 < listenPorts.size() ? listenPorts.get(i + 1) : upstreamPort;
            servers.append(
                    """
                    upstream hop%1$d { server 127.0.0.1:%2$d; keepalive 256; }
                    server {
                        listen 127.0.0.1:%3$d;
                        location / {
                            proxy_pass http://hop%1$d;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_buffering on;
                        }
                    }
                    """
                            .formatted(i, next, listenPorts.get(i)));
        }
        String config =
                mainSettings(prefix.toString()) + "http {\n" + httpSettings(prefix.toString()) + servers + "}\n";
        return start(prefix, config, listenPorts.get(0));
    }

    /** Starts nginx with {@code config} and waits until {@code port} accepts connections. */
    static NginxProcess start(Path prefix, String config, int port) throws IOException, InterruptedException {
        Files.createDirectories(prefix);
        Path file = prefix.resolve("nginx.conf");
        Files.writeString(file, config);
        Process process = new ProcessBuilder("nginx", "-p", prefix.toString(), "-c", file.toString())
                .redirectErrorStream(true)
                .redirectOutput(prefix.resolve("nginx.log").toFile())
                .start();
        awaitListening(process, port, prefix.resolve("nginx.log"));
        return new NginxProcess(process);
    }

    static void awaitListening(Process process, int port, Path log) throws IOException, InterruptedException {
        ChildProcesses.awaitListening(process, port, Duration.ofSeconds(30), "nginx", log);
    }

    static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    @Override
    public void close() {
        ChildProcesses.stop(process, Duration.ofSeconds(10)); // SIGTERM: nginx's fast shutdown, workers included
    }
}
