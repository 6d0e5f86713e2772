using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Aggregation.Security;
using Microsoft.Extensions.Time.Testing;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The <c>aggregation</c> command as people run it: the built program in its own process, its
/// output piped, its token and server in the environment.
/// </summary>
public sealed class CliTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly string[] HelpPaths =
    [
        "", "submit", "rollup", "watch", "units", "programmes", "export", "report", "deliveries", "deliveries resend",
        "deliveries produce", "import", "import template", "token", "approve", "withdraw-approval", "approvals",
    ];

    private readonly string _token = TestCredentials.Token(TestCredentials.Operator);
    private readonly string _dataHome = Directory.CreateTempSubdirectory("cli-data-").FullName;

    [Fact]
    public async Task Submitting_twice_with_the_same_key_sends_the_same_report_and_is_a_duplicate()
    {
        var key = "retry-" + Guid.NewGuid().ToString("N");
        string[] submit = ["submit", "--unit", "05461", "--period", "2025-05", "--value", "awareness_activities=1", "--key", key, "--en"];

        var first = await RunAsync(submit);
        var retry = await RunAsync(submit);

        Assert.True(first.Exit == 0, first.All);
        Assert.Contains("Accepted", first.Out, StringComparison.Ordinal);
        Assert.True(retry.Exit == 0, retry.All);
        Assert.Contains("Duplicate", retry.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retry_from_another_computer_with_the_printed_report_time_is_a_duplicate()
    {
        var key = "elsewhere-" + Guid.NewGuid().ToString("N");
        string[] submit = ["submit", "--unit", "05464", "--period", "2025-06", "--value", "awareness_activities=1", "--key", key, "--reported-at", "2025-07-02T08:30:00+07:00", "--en"];

        var first = await RunAsync(submit);
        var fromAnotherComputer = await RunAsync(submit, dataHome: Directory.CreateTempSubdirectory("cli-other-").FullName);

        Assert.True(first.Exit == 0, first.All);
        Assert.Contains("2025-07-02 08:30:00 (UTC+7)", first.Out, StringComparison.Ordinal);
        Assert.True(fromAnotherComputer.Exit == 0, fromAnotherComputer.All);
        Assert.Contains("Duplicate", fromAnotherComputer.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_help_prints_the_token_from_the_environment()
    {
        foreach (var path in HelpPaths)
        {
            var help = await RunAsync([.. path.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);

            Assert.True(help.Exit == 0, $"aggregation {path} --help: {help.All}");
            Assert.DoesNotContain(_token[..24], help.All, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_help_says_where_the_server_address_comes_from()
    {
        var help = await RunAsync(["--help"]);

        Assert.Contains("AGGREGATION_SERVER", help.Out, StringComparison.Ordinal);
        Assert.Contains("AGGREGATION_TOKEN", help.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_is_printed_once()
    {
        var result = await RunAsync(["submit", "--unit", "05446", "--period", "2025-03", "--value", "awareness_activities=-2", "--en"]);

        Assert.Equal(1, result.Exit);
        Assert.Equal(1, Occurrences(result.All, "is negative"));
    }

    [Fact]
    public async Task Without_a_token_the_cli_says_so_and_how_to_get_one()
    {
        var result = await RunAsync(["units", "--en"], token: null);

        Assert.Equal(1, result.Exit);
        Assert.Contains("No access token", result.Err, StringComparison.Ordinal);
        Assert.Contains("aggregation token", result.Err, StringComparison.Ordinal);
        Assert.Equal(1, Occurrences(result.All, "No access token"));
    }

    [Fact]
    public async Task An_expired_token_is_called_expired_with_its_time_in_Vietnam_time()
    {
        var expired = TokenIssuer.Issue(TestCredentials.Operator, TestCredentials.Current, TimeSpan.FromHours(1), time: new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3)));

        var result = await RunAsync(["units", "--en"], token: expired);

        Assert.Equal(1, result.Exit);
        Assert.Contains("expired at", result.Err, StringComparison.Ordinal);
        Assert.Contains("(UTC+7)", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(expired[..24], result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_signed_with_a_key_the_server_does_not_know_names_the_key()
    {
        var foreign = TokenIssuer.Issue(TestCredentials.Operator, new SigningKey("k-another-server", new byte[32]), TimeSpan.FromHours(1));

        var result = await RunAsync(["units", "--en"], token: foreign);

        Assert.Equal(1, result.Exit);
        Assert.Contains("signed with key 'k-another-server'", result.Err, StringComparison.Ordinal);
        Assert.Contains("does not know", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(foreign[..24], result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_is_named()
    {
        var nowhere = $"http://127.0.0.1:{FreePort()}";

        var result = await RunAsync(["units", "--en"], serverAddress: nowhere);

        Assert.Equal(1, result.Exit);
        Assert.Contains(nowhere, result.Err, StringComparison.Ordinal);
        Assert.Contains("AGGREGATION_SERVER", result.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("units --parent 164", "code")]
    [InlineData("units --level district --parent 19 --as-of 2025-06-30", "code")]
    [InlineData("programmes", "indicator")]
    [InlineData("rollup --unit 19 --period 2025S1 --children", "indicator")]
    [InlineData("deliveries", "idempotency_key")]
    public async Task Every_listing_command_writes_csv_and_json(string command, string column)
    {
        var args = command.Split(' ');

        var csv = await RunAsync([.. args, "--output", "csv"]);
        var json = await RunAsync([.. args, "--output", "json"]);

        Assert.True(csv.Exit == 0, csv.All);
        Assert.Contains(column, csv.Out.Split('\n')[0].TrimEnd('\r').Split(','));
        Assert.True(json.Exit == 0, json.All);
        using var document = JsonDocument.Parse(json.Out);
        Assert.True(document.RootElement.ValueKind is JsonValueKind.Array or JsonValueKind.Object);
    }

    [Fact]
    public async Task A_piped_table_keeps_each_row_on_one_line()
    {
        var result = await RunAsync(["rollup", "--unit", "19", "--period", "2025S1", "--children"]);

        Assert.True(result.Exit == 0, result.All);
        var t11 = Assert.Single(result.Out.Split('\n'), l => l.TrimStart().StartsWith("T1.1 ", StringComparison.Ordinal));
        Assert.Contains("Tỷ lệ xã, phường, thị trấn tổ chức ít nhất một hình thức tuyên truyền", t11, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_too_wide_for_the_terminal_becomes_one_block_per_row()
    {
        var result = await RunAsync(["units", "--parent", "164"], columns: 40);

        Assert.True(result.Exit == 0, result.All);
        Assert.All(result.Out.Split('\n'), line => Assert.True(line.Length <= 40, $"{line.Length} characters: {line}"));
        Assert.Contains("Phường Quán Triều", result.Out, StringComparison.Ordinal);
        Assert.Contains("05431", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Human_output_shows_no_internal_version_numbers()
    {
        var submit = await RunAsync(["submit", "--unit", "05467", "--period", "2025-03", "--value", "awareness_activities=1", "--en"]);
        var version = (await server.ReadAsync("19", "2025S1")).Version;
        var rollup = await RunAsync(["rollup", "--unit", "19", "--period", "2025S1", "--en"]);

        Assert.True(submit.Exit == 0, submit.All);
        Assert.DoesNotContain("version", submit.Out, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(version.ToString(System.Globalization.CultureInfo.InvariantCulture), rollup.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("version", rollup.Out, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_labels_of_a_run_are_in_one_language()
    {
        var vietnamese = await RunAsync(["units", "--parent", "164"]);
        var english = await RunAsync(["units", "--parent", "164", "--en"]);
        var rollup = await RunAsync(["rollup", "--unit", "19", "--period", "2025S1"]);

        Assert.Contains(" mã ", vietnamese.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(" code ", vietnamese.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("commune", vietnamese.Out, StringComparison.Ordinal);
        Assert.Contains(" code ", english.Out, StringComparison.Ordinal);
        Assert.Contains("commune", english.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(" mã ", english.Out, StringComparison.Ordinal);
        Assert.Contains("chỉ tiêu", rollup.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("As it happened", rollup.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("province", rollup.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mistyped_data_element_gets_a_suggestion_and_nothing_is_sent()
    {
        var before = (await server.ReadAsync("05470", "2025")).Version;

        var result = await RunAsync(["submit", "--unit", "05470", "--period", "2025-03", "--value", "awarness_activities=2", "--en"]);

        Assert.Equal(2, result.Exit);
        Assert.Contains("Did you mean awareness_activities?", result.Err, StringComparison.Ordinal);
        Assert.Equal(before, (await server.ReadAsync("05470", "2025")).Version);
    }

    [Fact]
    public async Task Counts_take_the_singular_for_one_and_the_plural_otherwise()
    {
        var provinces = await RunAsync(["units", "--en"]);
        var communes = await RunAsync(["units", "--parent", "164", "--en"]);

        Assert.Contains("1 unit" + Environment.NewLine, provinces.Out, StringComparison.Ordinal);
        Assert.Matches(@"\b\d+ units\b", communes.Out);
        Assert.DoesNotContain("1 units", provinces.Out, StringComparison.Ordinal);
    }

    private static int Occurrences(string text, string part) =>
        (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs the built <c>aggregation</c> with its output piped; the token and server come from the environment, as in the README.</summary>
    private Task<CliRun> RunAsync(string[] args, string? token = "", string? serverAddress = null, string? dataHome = null, int? columns = null) =>
        CliProcess.RunAsync(args, new Dictionary<string, string?>
        {
            ["AGGREGATION_SERVER"] = serverAddress ?? server.Address,
            ["XDG_DATA_HOME"] = dataHome ?? _dataHome,
            ["AGGREGATION_TOKEN"] = token == "" ? _token : token,
            ["COLUMNS"] = columns?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
}
