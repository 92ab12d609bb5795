using System.Globalization;
using Npgsql;
using Trove.Core.Errors;
using Trove.Data.Stores;

namespace Trove.Cluster.Schema;

/// <summary>
/// The tables cluster mode adds to a Trove PostgreSQL database, as versioned migrations (version i+1 = entry i; never
/// edit a released entry, append one). They are kept apart from the store's own migrations (their own version table,
/// <c>cluster_schema_version</c>) because only cluster mode needs them and the store knows nothing of Orleans.
/// <para>
/// Orleans' ADO.NET clustering provider issues no SQL of its own: at start it reads named statements from the
/// <c>OrleansQuery</c> table and runs them with fixed parameter names (<c>@DeploymentId</c>, <c>@Address</c>...) and
/// expects fixed result column names. The NuGet packages do not ship the scripts that create them, so migration 1
/// writes that contract here (tables, functions and the nine queries the 10.x provider requires, including
/// <c>CleanupDefunctSiloEntriesKey</c>, which 10.x checks for at start and which older scripts lack). The optimistic
/// concurrency of the membership protocol is the version row: an insert or update of a silo's row succeeds only
/// together with a version bump from the version the silo last read, in one statement.
/// </para>
/// </summary>
public static class ClusterSchema
{
    /// <summary>Keys of the statements Orleans' clustering provider reads from <c>OrleansQuery</c> (all must exist).</summary>
    public static readonly IReadOnlyList<string> OrleansClusteringQueries =
    [
        "UpdateIAmAlivetimeKey", "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "MembershipReadRowKey",
        "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey", "CleanupDefunctSiloEntriesKey",
    ];

    /// <summary>The channel on which a change to the <c>models</c> table is announced (payload: the model version).</summary>
    public const string ModelsChannel = "trove_models";

    /// <summary>The channel on which a new batch job is announced to every silo (payload: the job id).</summary>
    public const string JobsChannel = "trove_jobs";

    private const long MigrationLockKey = 0x54726F7665436C; // "TroveCl": not the store's key, so both can migrate at once

    internal static readonly string[] Migrations =
    [
        // 1: Orleans membership (the contract of Orleans.Clustering.AdoNet 10.x for PostgreSQL).
        """
        CREATE TABLE OrleansQuery (
            QueryKey varchar(64) NOT NULL,
            QueryText varchar(8000) NOT NULL,
            CONSTRAINT OrleansQuery_Key PRIMARY KEY (QueryKey)
        );
        -- One row per cluster: its Version is bumped by every membership change (optimistic concurrency).
        CREATE TABLE OrleansMembershipVersionTable (
            DeploymentId varchar(150) NOT NULL,
            Timestamp timestamptz(3) NOT NULL DEFAULT now(),
            Version integer NOT NULL DEFAULT 0,
            CONSTRAINT PK_OrleansMembershipVersionTable_DeploymentId PRIMARY KEY (DeploymentId)
        );
        -- One row per silo incarnation (address, port, generation).
        CREATE TABLE OrleansMembershipTable (
            DeploymentId varchar(150) NOT NULL,
            Address varchar(45) NOT NULL,
            Port integer NOT NULL,
            Generation integer NOT NULL,
            SiloName varchar(150) NOT NULL,
            HostName varchar(150) NOT NULL,
            Status integer NOT NULL,
            ProxyPort integer NULL,
            SuspectTimes varchar(8000) NULL,
            StartTime timestamptz(3) NOT NULL,
            IAmAliveTime timestamptz(3) NOT NULL,
            CONSTRAINT PK_MembershipTable_DeploymentId PRIMARY KEY (DeploymentId, Address, Port, Generation),
            CONSTRAINT FK_MembershipTable_MembershipVersionTable_DeploymentId FOREIGN KEY (DeploymentId)
                REFERENCES OrleansMembershipVersionTable (DeploymentId)
        );

        -- The functions return the affected row count: Orleans reads > 0 as success, 0 as a lost race (it re-reads and retries).
        CREATE FUNCTION insert_membership_version(DeploymentIdArg varchar) RETURNS TABLE(row_count integer) AS $func$
        DECLARE n int := 0;
        BEGIN
            INSERT INTO OrleansMembershipVersionTable (DeploymentId) SELECT DeploymentIdArg ON CONFLICT (DeploymentId) DO NOTHING;
            GET DIAGNOSTICS n = ROW_COUNT;
            RETURN QUERY SELECT n;
        END
        $func$ LANGUAGE plpgsql;

        -- The row and the version bump succeed together or not at all (the ASSERT rolls the block back).
        CREATE FUNCTION insert_membership(DeploymentIdArg varchar, AddressArg varchar, PortArg integer, GenerationArg integer,
            SiloNameArg varchar, HostNameArg varchar, StatusArg integer, ProxyPortArg integer, StartTimeArg timestamptz,
            IAmAliveTimeArg timestamptz, VersionArg integer) RETURNS TABLE(row_count integer) AS $func$
        DECLARE n int := 0;
        BEGIN
            BEGIN
                INSERT INTO OrleansMembershipTable (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
                SELECT DeploymentIdArg, AddressArg, PortArg, GenerationArg, SiloNameArg, HostNameArg, StatusArg, ProxyPortArg, StartTimeArg, IAmAliveTimeArg
                ON CONFLICT (DeploymentId, Address, Port, Generation) DO NOTHING;
                GET DIAGNOSTICS n = ROW_COUNT;
                UPDATE OrleansMembershipVersionTable SET Timestamp = now(), Version = Version + 1
                WHERE DeploymentId = DeploymentIdArg AND DeploymentIdArg IS NOT NULL AND Version = VersionArg AND VersionArg IS NOT NULL AND n > 0;
                GET DIAGNOSTICS n = ROW_COUNT;
                ASSERT n <> 0, 'no rows affected, rollback';
                RETURN QUERY SELECT n;
            EXCEPTION WHEN assert_failure THEN
                RETURN QUERY SELECT n;
            END;
        END
        $func$ LANGUAGE plpgsql;

        CREATE FUNCTION update_membership(DeploymentIdArg varchar, AddressArg varchar, PortArg integer, GenerationArg integer,
            StatusArg integer, SuspectTimesArg varchar, IAmAliveTimeArg timestamptz, VersionArg integer) RETURNS TABLE(row_count integer) AS $func$
        DECLARE n int := 0;
        BEGIN
            BEGIN
                UPDATE OrleansMembershipVersionTable SET Timestamp = now(), Version = Version + 1
                WHERE DeploymentId = DeploymentIdArg AND DeploymentIdArg IS NOT NULL AND Version = VersionArg AND VersionArg IS NOT NULL;
                GET DIAGNOSTICS n = ROW_COUNT;
                UPDATE OrleansMembershipTable SET Status = StatusArg, SuspectTimes = SuspectTimesArg, IAmAliveTime = IAmAliveTimeArg
                WHERE DeploymentId = DeploymentIdArg AND DeploymentIdArg IS NOT NULL AND Address = AddressArg AND AddressArg IS NOT NULL
                  AND Port = PortArg AND PortArg IS NOT NULL AND Generation = GenerationArg AND GenerationArg IS NOT NULL AND n > 0;
                GET DIAGNOSTICS n = ROW_COUNT;
                ASSERT n <> 0, 'no rows affected, rollback';
                RETURN QUERY SELECT n;
            EXCEPTION WHEN assert_failure THEN
                RETURN QUERY SELECT n;
            END;
        END
        $func$ LANGUAGE plpgsql;

        -- Heartbeats need no version bump: they are not membership changes.
        CREATE FUNCTION update_i_am_alive_time(deployment_id varchar, address_arg varchar, port_arg integer, generation_arg integer,
            i_am_alive_time timestamptz) RETURNS void AS $func$
        BEGIN
            UPDATE OrleansMembershipTable AS d SET IAmAliveTime = i_am_alive_time
            WHERE d.DeploymentId = deployment_id AND deployment_id IS NOT NULL AND d.Address = address_arg AND address_arg IS NOT NULL
              AND d.Port = port_arg AND port_arg IS NOT NULL AND d.Generation = generation_arg AND generation_arg IS NOT NULL;
        END
        $func$ LANGUAGE plpgsql;

        INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
        ('UpdateIAmAlivetimeKey',
         'SELECT * FROM update_i_am_alive_time(@DeploymentId, @Address, @Port, @Generation, @IAmAliveTime);'),
        ('InsertMembershipVersionKey',
         'SELECT * FROM insert_membership_version(@DeploymentId);'),
        ('InsertMembershipKey',
         'SELECT * FROM insert_membership(@DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version);'),
        ('UpdateMembershipKey',
         'SELECT * FROM update_membership(@DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes, @IAmAliveTime, @Version);'),
        -- The version row comes back even when the silo has no row yet (LEFT JOIN): Orleans needs the version to insert.
        ('MembershipReadRowKey',
         'SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort, m.SuspectTimes,
                 m.StartTime, m.IAmAliveTime, v.Version
          FROM OrleansMembershipVersionTable v
          LEFT OUTER JOIN OrleansMembershipTable m ON v.DeploymentId = m.DeploymentId
               AND Address = @Address AND @Address IS NOT NULL AND Port = @Port AND @Port IS NOT NULL
               AND Generation = @Generation AND @Generation IS NOT NULL
          WHERE v.DeploymentId = @DeploymentId AND @DeploymentId IS NOT NULL;'),
        ('MembershipReadAllKey',
         'SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort, m.SuspectTimes,
                 m.StartTime, m.IAmAliveTime, v.Version
          FROM OrleansMembershipVersionTable v LEFT OUTER JOIN OrleansMembershipTable m ON v.DeploymentId = m.DeploymentId
          WHERE v.DeploymentId = @DeploymentId AND @DeploymentId IS NOT NULL;'),
        ('DeleteMembershipTableEntriesKey',
         'DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId AND @DeploymentId IS NOT NULL;
          DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId AND @DeploymentId IS NOT NULL;'),
        ('GatewaysQueryKey',
         'SELECT Address, ProxyPort, Generation FROM OrleansMembershipTable
          WHERE DeploymentId = @DeploymentId AND @DeploymentId IS NOT NULL AND Status = @Status AND @Status IS NOT NULL AND ProxyPort > 0;'),
        -- Status 3 is Active: only rows of silos that stopped (or were declared dead) and stopped heartbeating go.
        ('CleanupDefunctSiloEntriesKey',
         'DELETE FROM OrleansMembershipTable
          WHERE DeploymentId = @DeploymentId AND @DeploymentId IS NOT NULL AND IAmAliveTime < @IAmAliveTime AND Status != 3;');
        """,
        // 2: live events for serving replicas, and model registrations announced to them.
        """
        -- When an interaction reached the database. A per-user grain rebuilt after its silo died reads it to tell events
        -- that arrived after the served model was trained (they count in the history) from older ones (seen only), as a
        -- single server does with the time it received them. Rows stored before this migration stay NULL (old);
        -- a volatile-free default keeps the ALTER a catalogue change on a large table.
        ALTER TABLE interactions ADD COLUMN IF NOT EXISTS received_utc timestamptz;
        ALTER TABLE interactions ALTER COLUMN received_utc SET DEFAULT now();

        -- `trove train --db` registers a model: every replica LISTENs on this channel and loads it without a restart.
        CREATE FUNCTION trove_notify_model() RETURNS trigger AS $func$
        BEGIN
            PERFORM pg_notify('trove_models', NEW.model_version);
            RETURN NEW;
        END
        $func$ LANGUAGE plpgsql;
        CREATE TRIGGER trove_models_changed AFTER INSERT OR UPDATE ON models FOR EACH ROW EXECUTE FUNCTION trove_notify_model();
        """,
        // 3: batch jobs split into blocks of rows (users or items) that silos lease (trove recommend --all --cluster, trove similarities --cluster).
        """
        CREATE TABLE batch_jobs (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            kind text NOT NULL,
            model_version text NOT NULL,
            model_path text NOT NULL,
            k integer NOT NULL,
            lease_seconds integer NOT NULL,
            created_utc timestamptz NOT NULL DEFAULT now(),
            finished_utc timestamptz
        );
        -- A block is pending until the transaction that writes its results marks it done. A lease (owner, expiry) lets
        -- one worker at a time compute it; an expired lease (a dead worker) is taken over by the next that asks.
        CREATE TABLE batch_blocks (
            job_id bigint NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
            block integer NOT NULL,
            first_user integer NOT NULL,
            end_user integer NOT NULL,
            done boolean NOT NULL DEFAULT false,
            lease_owner text,
            lease_expires timestamptz,
            attempts integer NOT NULL DEFAULT 0,
            done_by text,
            PRIMARY KEY (job_id, block)
        );
        CREATE INDEX ix_batch_blocks_pending ON batch_blocks(job_id) WHERE NOT done;
        """,
        // 4: similarity exports (trove similarities --cluster). Each job writes its own set (rows keyed by job id) while
        // the published set stays in place; the transaction that commits the job's last block points (model version,
        // kind) at the new set and deletes the old one, so readers of model_similarities never see a half-written set.
        """
        CREATE TABLE similarity_rows (
            job_id bigint NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
            subject text NOT NULL,
            rank integer NOT NULL,
            other text NOT NULL,
            score real NOT NULL,
            PRIMARY KEY (job_id, subject, rank)
        );
        CREATE TABLE similarity_sets (
            model_version text NOT NULL,
            kind text NOT NULL,
            job_id bigint NOT NULL REFERENCES batch_jobs(id),
            published_utc timestamptz NOT NULL,
            PRIMARY KEY (model_version, kind)
        );
        CREATE VIEW model_similarities AS
            SELECT s.model_version, s.kind, r.subject, r.rank, r.other, r.score, s.job_id, s.published_utc
            FROM similarity_sets s JOIN similarity_rows r ON r.job_id = s.job_id;
        """,
    ];

    /// <summary>The cluster schema version this Trove writes.</summary>
    public static int LatestVersion => Migrations.Length;

    /// <summary>
    /// Applies the store's migrations (opening the database creates and migrates it) and then the pending cluster
    /// migrations, each in one transaction under an advisory lock: idempotent, and safe when replicas start together.
    /// Returns the cluster schema version.
    /// </summary>
    public static int Migrate(string database)
    {
        if (!InteractionStores.IsPostgres(database))
            throw new TroveException($"Cluster mode needs PostgreSQL (--db postgres://user@host:port/database), not '{database}'.");
        using (InteractionStores.Open(database)) { } // the store's tables first: migration 2 alters interactions and models
        using var connection = new NpgsqlConnection(ConnectionString(database));
        connection.Open();
        using var tx = connection.BeginTransaction();
        Exec(connection, tx, $"SELECT pg_advisory_xact_lock({MigrationLockKey})");
        Exec(connection, tx, "CREATE TABLE IF NOT EXISTS cluster_schema_version (version integer PRIMARY KEY, applied_utc timestamptz NOT NULL)");
        using (var read = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM cluster_schema_version", connection, tx))
        {
            int current = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
            if (current > Migrations.Length)
                throw new TroveException($"Database '{InteractionStores.Describe(database)}' has cluster schema version {current}, newer than this Trove understands ({Migrations.Length}); upgrade Trove.");
            for (int v = current; v < Migrations.Length; v++)
            {
                Exec(connection, tx, Migrations[v]);
                Exec(connection, tx, $"INSERT INTO cluster_schema_version (version, applied_utc) VALUES ({v + 1}, now())");
            }
        }
        tx.Commit();
        return Migrations.Length;
    }

    /// <summary>The Npgsql connection string of a --db value (a postgres:// URL or key=value pairs).</summary>
    public static string ConnectionString(string database)
    {
        var builder = PostgresStore.ParseConnectionString(database);
        if (string.IsNullOrEmpty(builder.Database)) builder.Database = builder.Username ?? "postgres";
        builder.Enlist = false;
        return builder.ConnectionString;
    }

    private static void Exec(NpgsqlConnection connection, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, connection, tx);
        cmd.ExecuteNonQuery();
    }
}
