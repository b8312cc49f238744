package dev.tandem.server.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.flywaydb.core.Flyway;
import org.jspecify.annotations.Nullable;

/**
 * The state store on an embedded H2 database in the data dir, its schema kept by Flyway's
 * versioned migrations ({@code db/migration}). One server owns a data dir at a time: H2's file
 * lock refuses a second one. Control-plane writes are few, so one connection serves them all.
 */
public final class H2StateStore implements StateStore {
    private final Connection connection;
    private final String url;
    private final Definitions<StoredModel> models = new Definitions<>("model", H2StateStore::model);
    private final Definitions<StoredEndpointConfig> configs =
            new Definitions<>("endpoint_config", H2StateStore::config);
    private final Definitions<StoredFeatureGroup> featureGroups =
            new Definitions<>("feature_group", H2StateStore::featureGroup);

    private H2StateStore(Connection connection, String url) {
        this.connection = connection;
        this.url = url;
    }

    /**
     * Opens (creating and migrating if needed) the database under {@code dataDir}.
     *
     * @throws IllegalStateException when the database cannot be opened, e.g. another server holds it
     */
    public static H2StateStore open(Path dataDir) {
        // WRITE_DELAY=0: a commit is written to the file before it returns, so nothing acknowledged
        // is lost when the process is killed (H2 otherwise writes committed changes up to 500 ms later).
        // async: H2's file system on AsynchronousFileChannel, which an interrupted thread does not
        // close under the database (a plain FileChannel is closed by an interrupt, and H2 then stops).
        String url = "jdbc:h2:async:" + dataDir.toAbsolutePath().resolve("state/tandem")
                + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
        try {
            Flyway.configure()
                    .dataSource(url, "tandem", "")
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
            Connection connection = DriverManager.getConnection(url, "tandem", "");
            connection.setAutoCommit(true);
            return new H2StateStore(connection, url);
        } catch (SQLException | RuntimeException e) {
            throw new IllegalStateException(
                    "cannot open the state database in " + dataDir
                            + " (is another Tandem server using this data dir?): " + e.getMessage(),
                    e);
        }
    }

    /** The asynchronous-invocation queue in this database, on its own connection. */
    public H2AsyncQueue asyncQueue() {
        try {
            Connection queue = DriverManager.getConnection(url, "tandem", "");
            queue.setAutoCommit(true);
            return new H2AsyncQueue(queue);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the async queue: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized boolean insertModel(StoredModel model) {
        return models.insert(model.name(), model.arn(), model.definition(), model.createdAt());
    }

    @Override
    public synchronized Optional<StoredModel> model(String name) {
        return models.find(name);
    }

    @Override
    public synchronized List<StoredModel> models() {
        return models.all();
    }

    @Override
    public synchronized boolean deleteModel(String name) {
        return models.delete(name);
    }

    @Override
    public synchronized boolean insertEndpointConfig(StoredEndpointConfig config) {
        return configs.insert(config.name(), config.arn(), config.definition(), config.createdAt());
    }

    @Override
    public synchronized Optional<StoredEndpointConfig> endpointConfig(String name) {
        return configs.find(name);
    }

    @Override
    public synchronized List<StoredEndpointConfig> endpointConfigs() {
        return configs.all();
    }

    @Override
    public synchronized boolean deleteEndpointConfig(String name) {
        return configs.delete(name);
    }

    @Override
    public synchronized boolean insertFeatureGroup(StoredFeatureGroup group) {
        return featureGroups.insert(group.name(), group.arn(), group.definition(), group.createdAt());
    }

    @Override
    public synchronized void updateFeatureGroup(StoredFeatureGroup group) {
        featureGroups.replace(group.name(), group.definition());
    }

    @Override
    public synchronized List<StoredFeatureGroup> featureGroups() {
        return featureGroups.all();
    }

    @Override
    public synchronized boolean deleteFeatureGroup(String name) {
        return featureGroups.delete(name);
    }

    /** A table of definitions kept as JSON: models, endpoint configurations, feature groups. */
    private final class Definitions<T> {
        private final String table;
        private final Row<T> reader;

        Definitions(String table, Row<T> reader) {
            this.table = table;
            this.reader = reader;
        }

        boolean insert(String name, String arn, String definition, Instant createdAt) {
            return H2StateStore.this.insert(
                    "INSERT INTO " + table + " (name, arn, definition, created_at) VALUES (?, ?, ?, ?)",
                    name,
                    arn,
                    definition,
                    time(createdAt));
        }

        Optional<T> find(String name) {
            return query("SELECT * FROM " + table + " WHERE name = ?", reader, name).stream()
                    .findFirst();
        }

        List<T> all() {
            return query("SELECT * FROM " + table + " ORDER BY name", reader);
        }

        boolean delete(String name) {
            return update("DELETE FROM " + table + " WHERE name = ?", name) > 0;
        }

        void replace(String name, String definition) {
            update("UPDATE " + table + " SET definition = ? WHERE name = ?", definition, name);
        }
    }

    @Override
    public synchronized boolean insertEndpoint(StoredEndpoint endpoint) {
        return insert(
                "INSERT INTO endpoint (name, arn, config_name, deployment, status, failure_reason, created_at,"
                        + " last_modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                endpoint.name(),
                endpoint.arn(),
                endpoint.configName(),
                endpoint.deployment(),
                endpoint.status(),
                endpoint.failureReason(),
                time(endpoint.createdAt()),
                time(endpoint.lastModifiedAt()));
    }

    @Override
    public synchronized void updateEndpoint(StoredEndpoint endpoint) {
        update(
                "UPDATE endpoint SET config_name = ?, deployment = ?, status = ?, failure_reason = ?,"
                        + " last_modified_at = ? WHERE name = ?",
                endpoint.configName(),
                endpoint.deployment(),
                endpoint.status(),
                endpoint.failureReason(),
                time(endpoint.lastModifiedAt()),
                endpoint.name());
    }

    @Override
    public synchronized Optional<StoredEndpoint> endpoint(String name) {
        return query("SELECT * FROM endpoint WHERE name = ?", H2StateStore::endpoint, name).stream()
                .findFirst();
    }

    @Override
    public synchronized List<StoredEndpoint> endpoints() {
        return query("SELECT * FROM endpoint ORDER BY name", H2StateStore::endpoint);
    }

    @Override
    public synchronized boolean deleteEndpoint(String name) {
        return update("DELETE FROM endpoint WHERE name = ?", name) > 0;
    }

    @Override
    public synchronized boolean insertTransformJob(StoredTransformJob job) {
        return insert(
                "INSERT INTO transform_job (name, arn, definition, status, failure_reason, created_at, started_at,"
                        + " ended_at, last_modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                job.name(),
                job.arn(),
                job.definition(),
                job.status(),
                job.failureReason(),
                time(job.createdAt()),
                optionalTime(job.startedAt()),
                optionalTime(job.endedAt()),
                time(job.lastModifiedAt()));
    }

    @Override
    public synchronized void updateTransformJob(StoredTransformJob job) {
        update(
                "UPDATE transform_job SET status = ?, failure_reason = ?, started_at = ?, ended_at = ?,"
                        + " last_modified_at = ? WHERE name = ?",
                job.status(),
                job.failureReason(),
                optionalTime(job.startedAt()),
                optionalTime(job.endedAt()),
                time(job.lastModifiedAt()),
                job.name());
    }

    @Override
    public synchronized Optional<StoredTransformJob> transformJob(String name) {
        return query("SELECT * FROM transform_job WHERE name = ?", H2StateStore::transformJob, name).stream()
                .findFirst();
    }

    @Override
    public synchronized List<StoredTransformJob> transformJobs() {
        return query("SELECT * FROM transform_job ORDER BY name", H2StateStore::transformJob);
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot close the state database", e);
        }
    }

    private interface Row<T> {
        T read(ResultSet row) throws SQLException;
    }

    private static StoredModel model(ResultSet row) throws SQLException {
        return new StoredModel(
                row.getString("name"), row.getString("arn"), row.getString("definition"), instant(row, "created_at"));
    }

    private static StoredEndpointConfig config(ResultSet row) throws SQLException {
        return new StoredEndpointConfig(
                row.getString("name"), row.getString("arn"), row.getString("definition"), instant(row, "created_at"));
    }

    private static StoredFeatureGroup featureGroup(ResultSet row) throws SQLException {
        return new StoredFeatureGroup(
                row.getString("name"), row.getString("arn"), row.getString("definition"), instant(row, "created_at"));
    }

    private static StoredEndpoint endpoint(ResultSet row) throws SQLException {
        return new StoredEndpoint(
                row.getString("name"),
                row.getString("arn"),
                row.getString("config_name"),
                row.getString("deployment"),
                row.getString("status"),
                row.getString("failure_reason"),
                instant(row, "created_at"),
                instant(row, "last_modified_at"));
    }

    private static StoredTransformJob transformJob(ResultSet row) throws SQLException {
        return new StoredTransformJob(
                row.getString("name"),
                row.getString("arn"),
                row.getString("definition"),
                row.getString("status"),
                row.getString("failure_reason"),
                instant(row, "created_at"),
                optionalInstant(row, "started_at"),
                optionalInstant(row, "ended_at"),
                instant(row, "last_modified_at"));
    }

    private static @Nullable OffsetDateTime optionalTime(@Nullable Instant instant) {
        return instant == null ? null : time(instant);
    }

    private static @Nullable Instant optionalInstant(ResultSet row, String column) throws SQLException {
        OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private static OffsetDateTime time(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet row, String column) throws SQLException {
        return row.getObject(column, OffsetDateTime.class).toInstant();
    }

    private boolean insert(String sql, @Nullable Object... values) {
        try {
            return execute(sql, values) == 1;
        } catch (SQLIntegrityConstraintViolationException e) {
            return false;
        } catch (SQLException e) {
            throw failure(sql, e);
        }
    }

    private int update(String sql, @Nullable Object... values) {
        try {
            return execute(sql, values);
        } catch (SQLException e) {
            throw failure(sql, e);
        }
    }

    private int execute(String sql, @Nullable Object... values) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, values);
            return statement.executeUpdate();
        }
    }

    private <T> List<T> query(String sql, Row<T> reader, Object... values) {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, values);
            try (ResultSet rows = statement.executeQuery()) {
                List<T> result = new ArrayList<>();
                while (rows.next()) {
                    result.add(reader.read(rows));
                }
                return result;
            }
        } catch (SQLException e) {
            throw failure(sql, e);
        }
    }

    private static void bind(PreparedStatement statement, @Nullable Object... values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            statement.setObject(i + 1, values[i]);
        }
    }

    private static IllegalStateException failure(String sql, SQLException e) {
        return new IllegalStateException(
                "state database failed on " + sql.substring(0, sql.indexOf(' ')) + ": " + e.getMessage(), e);
    }
}
