package dev.tandem.server.store;

import dev.tandem.core.stage.Payload;
import dev.tandem.runtime.storage.Location;
import dev.tandem.server.async.AsyncQueue;
import dev.tandem.server.async.AsyncRequest;
import dev.tandem.server.async.AsyncStatus;
import dev.tandem.server.async.QueuedRequest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The asynchronous-invocation queue in the embedded state database (table {@code async_request}),
 * on a connection of its own so that queue traffic does not wait behind control-plane writes. The
 * database commits every write before the call returns.
 */
public final class H2AsyncQueue implements AsyncQueue {
    private static final String COLUMNS = "id, endpoint, inference_id, input_location, inline_body, content_type,"
            + " accept, custom_attributes, ttl_seconds, timeout_seconds, output_location, failure_location, status,"
            + " attempts, received_at, expires_at, started_at, ended_at, failure_reason";

    private final Connection connection;

    H2AsyncQueue(Connection connection) {
        this.connection = connection;
    }

    @Override
    public synchronized void enqueue(AsyncRequest request) {
        update(
                "INSERT INTO async_request (" + COLUMNS
                        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                request.id(),
                request.endpoint(),
                request.inferenceId(),
                request.input() == null ? null : request.input().toString(),
                request.inlineBody() == null ? null : request.inlineBody().unsafeArray(),
                request.contentType(),
                request.accept(),
                request.customAttributes(),
                (int) request.ttl().toSeconds(),
                (int) request.invocationTimeout().toSeconds(),
                request.outputLocation().toString(),
                request.failureLocation().toString(),
                AsyncStatus.QUEUED.name(),
                0,
                time(request.receivedAt()),
                time(request.expiresAt()),
                null,
                null,
                null);
    }

    @Override
    public synchronized List<QueuedRequest> claim(String endpoint, int max, Instant now) {
        List<QueuedRequest> next = query(
                "SELECT * FROM async_request WHERE endpoint = ? AND status = 'QUEUED' ORDER BY endpoint, status, seq LIMIT ?",
                endpoint,
                max);
        if (next.isEmpty()) {
            return List.of();
        }
        // One statement, so one commit, for the whole batch.
        Object[] values = new Object[next.size() + 1];
        values[0] = time(now);
        for (int i = 0; i < next.size(); i++) {
            values[i + 1] = next.get(i).id();
        }
        update(
                "UPDATE async_request SET status = 'IN_PROGRESS', attempts = attempts + 1, started_at = ? WHERE id IN ("
                        + String.join(", ", java.util.Collections.nCopies(next.size(), "?")) + ")",
                values);
        return next.stream()
                .map(queued -> new QueuedRequest(
                        queued.request(), AsyncStatus.IN_PROGRESS, queued.attempts() + 1, now, null, null))
                .toList();
    }

    @Override
    public synchronized void requeue(String id) {
        update("UPDATE async_request SET status = 'QUEUED' WHERE id = ? AND status = 'IN_PROGRESS'", id);
    }

    @Override
    public synchronized void finish(String id, AsyncStatus status, Instant at, @Nullable String failureReason) {
        if (!status.finished()) {
            throw new IllegalArgumentException("a request finishes Completed or Failed, not " + status);
        }
        update(
                "UPDATE async_request SET status = ?, ended_at = ?, failure_reason = ? WHERE id = ?",
                status.name(),
                time(at),
                failureReason == null || failureReason.length() <= 2048
                        ? failureReason
                        : failureReason.substring(0, 2048),
                id);
    }

    @Override
    public synchronized Optional<QueuedRequest> find(String endpoint, String inferenceId) {
        return query(
                        "SELECT * FROM async_request WHERE endpoint = ? AND inference_id = ? ORDER BY seq DESC LIMIT 1",
                        endpoint,
                        inferenceId)
                .stream()
                .findFirst();
    }

    @Override
    public synchronized List<QueuedRequest> expired(String endpoint, Instant now) {
        return query(
                "SELECT * FROM async_request WHERE endpoint = ? AND status = 'QUEUED' AND expires_at <= ? ORDER BY seq",
                endpoint,
                time(now));
    }

    @Override
    public synchronized List<QueuedRequest> queued(String endpoint) {
        return query("SELECT * FROM async_request WHERE endpoint = ? AND status = 'QUEUED' ORDER BY seq", endpoint);
    }

    @Override
    public synchronized List<QueuedRequest> inProgress() {
        return query("SELECT * FROM async_request WHERE status = 'IN_PROGRESS' ORDER BY seq");
    }

    @Override
    public synchronized Backlog backlog(String endpoint) {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT SUM(CASE WHEN status = 'QUEUED' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'IN_PROGRESS'"
                        + " THEN 1 ELSE 0 END), MIN(received_at) FROM async_request WHERE endpoint = ? AND status IN"
                        + " ('QUEUED', 'IN_PROGRESS')")) {
            statement.setString(1, endpoint);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return Backlog.EMPTY;
                }
                OffsetDateTime oldest = row.getObject(3, OffsetDateTime.class);
                return new Backlog(row.getInt(1), row.getInt(2), oldest == null ? null : oldest.toInstant());
            }
        } catch (SQLException e) {
            throw failure("SELECT", e);
        }
    }

    @Override
    public synchronized int purgeFinished(Instant before) {
        return update(
                "DELETE FROM async_request WHERE status IN ('COMPLETED', 'FAILED') AND ended_at < ?", time(before));
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot close the async queue's connection", e);
        }
    }

    private static QueuedRequest read(ResultSet row) throws SQLException {
        String input = row.getString("input_location");
        byte[] body = row.getBytes("inline_body");
        AsyncRequest request = new AsyncRequest(
                row.getString("id"),
                row.getString("endpoint"),
                row.getString("inference_id"),
                input == null ? null : Location.parse(input, "InputLocation"),
                body == null ? null : Payload.wrap(body),
                row.getString("content_type"),
                row.getString("accept"),
                row.getString("custom_attributes"),
                Duration.ofSeconds(row.getInt("ttl_seconds")),
                Duration.ofSeconds(row.getInt("timeout_seconds")),
                Location.parse(row.getString("output_location"), "OutputLocation"),
                Location.parse(row.getString("failure_location"), "FailureLocation"),
                Objects.requireNonNull(instant(row, "received_at")));
        return new QueuedRequest(
                request,
                AsyncStatus.valueOf(row.getString("status")),
                row.getInt("attempts"),
                instant(row, "started_at"),
                instant(row, "ended_at"),
                row.getString("failure_reason"));
    }

    private static @Nullable Instant instant(ResultSet row, String column) throws SQLException {
        OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private static OffsetDateTime time(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    private List<QueuedRequest> query(String sql, Object... values) {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                statement.setObject(i + 1, values[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                List<QueuedRequest> result = new ArrayList<>();
                while (rows.next()) {
                    result.add(read(rows));
                }
                return result;
            }
        } catch (SQLException e) {
            throw failure(sql.substring(0, sql.indexOf(' ')), e);
        }
    }

    private int update(String sql, @Nullable Object... values) {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                statement.setObject(i + 1, values[i]);
            }
            return statement.executeUpdate();
        } catch (SQLException e) {
            throw failure(sql.substring(0, sql.indexOf(' ')), e);
        }
    }

    private static IllegalStateException failure(String operation, SQLException e) {
        return new IllegalStateException("async queue failed on " + operation + ": " + e.getMessage(), e);
    }
}
