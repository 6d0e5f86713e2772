namespace Aggregation.Storage;

/// <summary>
/// The server cannot have its PostgreSQL at start: no server binaries, another server holding the
/// private data folder, a private server that does not start, or a configured one that cannot be
/// reached. The message is a sentence for the operator saying what to do; the server prints it
/// and exits rather than serving without its system of record.
/// </summary>
/// <remarks>
/// An <see cref="InvalidOperationException"/>, as these failures were before they had a type of
/// their own, so code that caught them that way still does.
/// </remarks>
public sealed class PostgresUnavailableException : InvalidOperationException
{
    public PostgresUnavailableException()
    {
    }

    public PostgresUnavailableException(string message)
        : base(message)
    {
    }

    public PostgresUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The configured server at <paramref name="connectionString"/> did not answer (<paramref name="cause"/>).</summary>
    public static PostgresUnavailableException Unreachable(string connectionString, Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        var server = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        return new PostgresUnavailableException(
            $"PostgreSQL at {server.Host}:{server.Port} cannot be reached ({cause.Message}). Start it, or set Database:ConnectionString to a running server.", cause);
    }
}
