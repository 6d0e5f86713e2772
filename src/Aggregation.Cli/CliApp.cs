using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary>
/// The <c>aggregation</c> command: submit reports, read rollups, browse the hierarchy. Each
/// subcommand lives in its own file; this class holds the options every command reads and what
/// they share: the channel, the call headers and how a failed call is reported.
/// </summary>
public static class CliApp
{
    public const string DefaultProgramme = "prostitution-prevention-2021-2025";

    private const string DefaultServer = "http://127.0.0.1:5080";

    private static readonly Option<string> Server = new("--server")
    {
        Description = $"gRPC address of the server (default: $AGGREGATION_SERVER, else {DefaultServer})",
        Recursive = true,
    };

    private static readonly Option<string?> TenantOption = new("--tenant")
    {
        Description = "Tenant id (default: the server's default tenant)",
        Recursive = true,
    };

    // No default value: help prints defaults, and this one would be the caller's secret.
    private static readonly Option<string?> TokenOption = new("--token")
    {
        Description = "Access token (default: $AGGREGATION_TOKEN); get one with `aggregation token`",
        Recursive = true,
    };

    internal static readonly Option<bool> EnglishOption = new("--en", "--english")
    {
        Description = "English labels and messages (default: Vietnamese)",
        Recursive = true,
    };

    internal static readonly Option<string?> AsOfOption = new("--as-of")
    {
        Description = "Date (yyyy-MM-dd) at which --unit's code is read: codes were reused by the 2025-07 hierarchy (default: the unit in force at the period's end)",
    };

    internal static readonly Option<bool> RestatedOption = new("--restated")
    {
        Description = "Re-express history in the unit's structure: add the data of every unit merged into it (default: as it happened)",
    };

    internal static readonly Option<string> ProgrammeOption = new("--programme")
    {
        Description = "Programme id",
        DefaultValueFactory = _ => DefaultProgramme,
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("Aggregation client: submit indicator reports and read rollups. The server is --server or $AGGREGATION_SERVER (default " + DefaultServer + "); the token --token or $AGGREGATION_TOKEN.");
        root.Options.Add(Server);
        root.Options.Add(TenantOption);
        root.Options.Add(TokenOption);
        root.Options.Add(ProgrammeOption);
        root.Options.Add(EnglishOption);
        root.Subcommands.Add(SubmitCommand.Build());
        root.Subcommands.Add(RollupCommand.Build());
        root.Subcommands.Add(ReviewCommand.Build());
        root.Subcommands.Add(WatchCommand.Build());
        root.Subcommands.Add(UnitsCommand.Build());
        root.Subcommands.Add(ProgrammesCommand.Build());
        root.Subcommands.Add(ExportCommand.Build());
        root.Subcommands.Add(ReportCommand.Build());
        root.Subcommands.Add(DeliveriesCommands.Build());
        foreach (var approvals in ApprovalsCommands.Build())
        {
            root.Subcommands.Add(approvals);
        }

        root.Subcommands.Add(Import.ImportCommands.Build(Connect, ProgrammeOption, Report));
        root.Subcommands.Add(TokenCommands.Build(TenantOption, Connect, Report));
        return root;
    }

    /// <summary>The channel and call headers, for commands defined elsewhere (import, token); sets the run's language first.</summary>
    private static (GrpcChannel Channel, Metadata Headers) Connect(ParseResult parse)
    {
        Ui.Configure(parse, EnglishOption);
        return (Channel(parse), Headers(parse));
    }

    /// <summary>The channel to --server, else $AGGREGATION_SERVER, else the local default; an address that is not one is a usage error.</summary>
    internal static GrpcChannel Channel(ParseResult parse)
    {
        var address = parse.GetValue(Server) is { Length: > 0 } given ? given
            : Environment.GetEnvironmentVariable("AGGREGATION_SERVER") is { Length: > 0 } configured ? configured
            : DefaultServer;
        Ui.ServerAddress = address;
        try
        {
            return GrpcChannel.ForAddress(address);
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException)
        {
            throw new CliUsageException(Ui.T(
                $"'{address}' không phải địa chỉ máy chủ: viết dạng http://máy:cổng (--server hoặc AGGREGATION_SERVER).",
                $"'{address}' is not a server address: write it as http://host:port (--server or AGGREGATION_SERVER)."));
        }
    }

    /// <summary>The run's tenant and bearer token, as call headers.</summary>
    internal static Metadata Headers(ParseResult parse)
    {
        var headers = new Metadata();
        if (parse.GetValue(TenantOption) is { Length: > 0 } tenant)
        {
            headers.Add("x-tenant-id", tenant);
        }

        var token = parse.GetValue(TokenOption) is { Length: > 0 } given ? given : Environment.GetEnvironmentVariable("AGGREGATION_TOKEN");
        SentToken = token is { Length: > 0 };
        if (SentToken)
        {
            headers.Add("authorization", "Bearer " + token);
        }

        return headers;
    }

    /// <summary>Whether this run sends a token: without one, an authentication failure is explained as "no token".</summary>
    private static bool SentToken { get; set; }

    /// <summary>Sets the run's language, and turns gRPC errors and bad addresses into one readable message and exit code 1.</summary>
    internal static Func<ParseResult, CancellationToken, Task<int>> Guard(Func<ParseResult, CancellationToken, Task<int>> action) =>
        async (parse, ct) =>
        {
            Ui.Configure(parse, EnglishOption);
            try
            {
                return await action(parse, ct);
            }
            catch (RpcException ex)
            {
                return Report(ex);
            }
            catch (CliUsageException ex)
            {
                Ui.Error.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
                return 2;
            }
        };

    /// <summary>Prints a gRPC error once: what went wrong, then each offending field.</summary>
    public static int Report(RpcException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        Ui.Error.MarkupLine(ErrorMessages.Describe(ex, SentToken));
        return 1;
    }
}

/// <summary>A command line that cannot be acted on; its message says what to write instead.</summary>
public sealed class CliUsageException(string message) : Exception(message);
