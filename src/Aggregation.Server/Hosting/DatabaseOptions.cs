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
}
