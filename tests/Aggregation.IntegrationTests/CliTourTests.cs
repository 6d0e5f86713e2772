using Aggregation.Cli;

namespace Aggregation.IntegrationTests;

/// <summary>The README's tour: a district officer submits with the CLI and the province's T1.1 moves.</summary>
public sealed class CliTourTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_report_submitted_with_the_cli_moves_the_provinces_T1_1()
    {
        var before = (await server.ReadAsync(ServerFixture.ProvinceCode, "2025S1")).Indicators.Single(i => i.IndicatorId == "T1.1");

        var exit = await Cli("submit", "--unit", "05443", "--period", "2025-03", "--value", "awareness_activities=2");

        Assert.Equal(0, exit);
        var after = await Eventually.WaitAsync(
            () => server.ReadAsync(ServerFixture.ProvinceCode, "2025S1"),
            r => r.Indicators.Single(i => i.IndicatorId == "T1.1").Numerator == before.Numerator + 1,
            TimeSpan.FromSeconds(10),
            r => $"T1.1 numerator stayed {r.Indicators.Single(i => i.IndicatorId == "T1.1").Numerator}");
        Assert.Equal(1 / 172.0, after.Indicators.Single(i => i.IndicatorId == "T1.1").Value, 9);
        Assert.Equal(0, await Cli("rollup", "--unit", ServerFixture.ProvinceCode, "--period", "2025S1", "--children"));

        // The year crosses 1 July 2025: the answer counts 172 + 92 communes, and restated adds Bắc Kạn's 108.
        Assert.Equal(264, (await server.ReadAsync(ServerFixture.ProvinceCode, "2025")).Indicators.Single(i => i.IndicatorId == "T1.1").Denominator);
        Assert.Equal(0, await Cli("rollup", "--unit", ServerFixture.ProvinceCode, "--period", "2025", "--restated"));
        Assert.Equal(0, await Cli("units", "--parent", "19", "--as-of", "2025-06-30"));
        Assert.Equal(0, await Cli("units", "--parent", "164"));
    }

    [Fact]
    public async Task A_bad_value_from_the_cli_exits_with_an_error_and_changes_nothing()
    {
        var before = (await server.ReadAsync("05446", "2025")).Version;

        var exit = await Cli("submit", "--unit", "05446", "--period", "2025-03", "--value", "awareness_activities=-2");

        Assert.Equal(1, exit);
        Assert.Equal(before, (await server.ReadAsync("05446", "2025")).Version);
    }

    [Fact]
    public async Task A_value_in_vietnamese_notation_from_the_cli_is_read_as_written()
    {
        Assert.Equal(0, await Cli("submit", "--unit", "05449", "--period", "2025-04", "--value", "workers_reached=1.000"));
        Assert.Equal(0, await Cli("submit", "--unit", "05452", "--period", "2025-04", "--value", "workers_reached=1,000", "--number-format", "en"));

        await Eventually.WaitAsync(() => server.ReadAsync("05449", "2025-04"), r => Value(r, "workers_reached") == 1000, TimeSpan.FromSeconds(10), r => $"05449 holds {Value(r, "workers_reached")} workers reached, not 1000");
        await Eventually.WaitAsync(() => server.ReadAsync("05452", "2025-04"), r => Value(r, "workers_reached") == 1000, TimeSpan.FromSeconds(10), r => $"05452 holds {Value(r, "workers_reached")} workers reached, not 1000");
    }

    [Theory]
    [InlineData("workers_reached=1,000")]
    [InlineData("workers_reached=1,5")]
    [InlineData("workers_reached=1.5")]
    [InlineData("workers_reached=1,000.5")]
    public async Task An_ambiguous_or_misgrouped_number_from_the_cli_is_refused_and_changes_nothing(string value)
    {
        var before = (await server.ReadAsync("05455", "2025")).Version;

        var exit = await Cli("submit", "--unit", "05455", "--period", "2025-04", "--value", value);

        Assert.Equal(2, exit);
        Assert.Equal(before, (await server.ReadAsync("05455", "2025")).Version);
    }

    [Fact]
    public async Task A_flag_that_is_not_yes_or_no_from_the_cli_is_refused_rather_than_sent_as_no()
    {
        var before = (await server.ReadAsync("164", "2025S1")).Version;

        var exit = await Cli("submit", "--unit", "164", "--period", "2025S1", "--value", "district_plan_adopted=maybe");

        Assert.Equal(2, exit);
        Assert.Equal(before, (await server.ReadAsync("164", "2025S1")).Version);
    }

    [Fact]
    public async Task A_token_printed_by_the_cli_from_the_key_file_is_accepted_by_the_server()
    {
        var keyFile = Path.Combine(Directory.CreateTempSubdirectory("keys-").FullName, "signing-keys.json");
        await File.WriteAllTextAsync(keyFile, $$"""{"keys":[{"id":"{{TestCredentials.Current.Id}}","secret":"{{Convert.ToBase64String(TestCredentials.Current.Secret)}}"}]}""");
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        int exit;
        try
        {
            exit = await CliApp.Build().Parse(["token", "--tenant", "thai-nguyen", "--role", "viewer", "--unit", "164", "--subject", "district-164-dashboard", "--key-file", keyFile]).InvokeAsync();
        }
        finally
        {
            Console.SetOut(console);
        }

        Assert.Equal(0, exit);
        var token = output.ToString().Trim();
        Assert.Equal(0, await CliApp.Build().Parse(["rollup", "--unit", "164", "--period", "2025", "--server", server.Address, "--token", token]).InvokeAsync());
        Assert.Equal(1, await CliApp.Build().Parse(["rollup", "--unit", "19", "--period", "2025", "--server", server.Address, "--token", token]).InvokeAsync());
    }

    [Theory]
    [InlineData("2161")]
    [InlineData("1e30")]
    [InlineData("0")]
    [InlineData("NaN")]
    public async Task A_token_lifetime_the_servers_would_refuse_is_refused_by_the_cli(string hours)
    {
        var keyFile = Path.Combine(Directory.CreateTempSubdirectory("keys-").FullName, "signing-keys.json");
        await File.WriteAllTextAsync(keyFile, $$"""{"keys":[{"id":"{{TestCredentials.Current.Id}}","secret":"{{Convert.ToBase64String(TestCredentials.Current.Secret)}}"}]}""");
        var (output, errors) = (new StringWriter(), new StringWriter());
        var (console, consoleErrors) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(errors);
        int exit;
        try
        {
            exit = await CliApp.Build().Parse(["token", "--tenant", "thai-nguyen", "--role", "viewer", "--hours", hours, "--key-file", keyFile]).InvokeAsync();
        }
        finally
        {
            Console.SetOut(console);
            Console.SetError(consoleErrors);
        }

        Assert.Equal(1, exit);
        Assert.Equal("", output.ToString());
        Assert.Contains("--hours", errors.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenant_admin_gets_a_scoped_token_from_the_server_and_a_submitter_cannot()
    {
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        int exit;
        try
        {
            exit = await Cli("token", "--from-server", "--role", "viewer", "--unit", "164", "--subject", "district-164-dashboard");
        }
        finally
        {
            Console.SetOut(console);
        }

        Assert.Equal(0, exit);
        var token = output.ToString().Trim();
        Assert.Equal(0, await CliApp.Build().Parse(["rollup", "--unit", "164", "--period", "2025", "--server", server.Address, "--token", token]).InvokeAsync());
        Assert.Equal(1, await CliApp.Build().Parse(["rollup", "--unit", "19", "--period", "2025", "--server", server.Address, "--token", token]).InvokeAsync());

        var submitter = TestCredentials.Token(new Aggregation.Security.AccessGrant("district-system", TestCredentials.Tenant, [Aggregation.Security.Roles.Submitter]));
        Assert.Equal(1, await CliApp.Build().Parse(["token", "--from-server", "--role", "admin", "--server", server.Address, "--token", submitter]).InvokeAsync());
    }

    private static long? Value(Aggregation.Protos.V1.UnitRollup rollup, string element) => rollup.Values.Single(v => v.DataElement == element).Value;

    private Task<int> Cli(params string[] args) =>
        CliApp.Build().Parse([.. args, "--server", server.Address, "--token", TestCredentials.Token(TestCredentials.Operator)]).InvokeAsync();
}
