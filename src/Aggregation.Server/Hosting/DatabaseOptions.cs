namespace Aggregation.Server.Hosting;

public enum DatabaseMode
{
    /// <summary>PostgreSQL: the configured server, or a private one started from the installed binaries.</summary>
    Postgres,

    /// <summary>Everything in this process, lost when it stops: demonstrations only.</summary>
    Memory,
}

/// <summary>Configuration section <c>Database</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public DatabaseMode Mode { get; set; } = DatabaseMode.Postgres;

    /// <summary>An Npgsql connection string. When empty, a private server is started (see <see cref="DataDirectory"/>).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Data folder of the private server; it survives restarts. Default: /var/lib/aggregation/postgres as root, else ~/.local/share/aggregation/postgres.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Apply the schema in sql/ at start (idempotent; silos serialise on an advisory lock).</summary>
    public bool Migrate { get; set; } = true;

    /// <summary>Folder searched first for the private server's binaries (initdb, pg_ctl, postgres); then Debian's /usr/lib/postgresql/NN/bin and PATH.</summary>
    public string? ServerBinaries { get; set; }

    /// <summary>Install Debian's postgresql package when the private server's binaries are missing (root with apt-get only).</summary>
    public bool InstallServer { get; set; } = true;

    /// <summary>How often the health probe asks the database (on its own connection, never queued behind ingestion).</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one probe may take.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A database that refuses connections is down at once; one that accepts them but answers
    /// nothing (no probe and no commit succeeding) is declared down after this long. Long enough
    /// that a database saturated by a bulk load is never mistaken for a dead one.
    /// </summary>
    public TimeSpan UnreachableAfter { get; set; } = TimeSpan.FromSeconds(20);
}
