using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Aggregation.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Spectre.Console;

namespace Aggregation.Cli.Import;

/// <summary>
/// <c>aggregation import FILE</c> and <c>aggregation import template</c>: district officers' spreadsheets
/// (CSV or .xlsx, one row per unit and period, one column per data element) in and out.
/// </summary>
public static partial class ImportCommands
{
    public const string UnitColumn = "unit_code";
    public const string PeriodColumn = "period";
    public const string NameColumn = "unit_name";
    private const int MaxErrorsShown = 200;

    public static Command Build(Func<ParseResult, (GrpcChannel Channel, Metadata Headers)> connect, Option<string> programmeOption, Func<RpcException, int> report)
    {
        var file = new Argument<string>("file") { Description = "A .csv or .xlsx file: columns unit_code, period and one per data element (see `import template`)" };
        var validOnly = new Option<bool>("--valid-only") { Description = "Apply the valid rows even when others have errors (default: apply nothing unless every row is valid)" };
        var batch = new Option<int>("--batch") { Description = "Reports per call", DefaultValueFactory = _ => 500 };
        var command = new Command("import", "Import a spreadsheet of reports: every row is checked first and every error listed with its row and column.") { file, validOnly, batch };
        command.SetAction(async (parse, ct) =>
        {
            var (channel, headers) = connect(parse);
            using (channel)
            {
                try
                {
                    var programme = await ProgrammeAsync(channel, headers, parse.GetValue(programmeOption)!, ct);
                    var importer = new SpreadsheetImport(new Ingestion.IngestionClient(channel), headers, programme, parse.GetValue(file)!, Math.Clamp(parse.GetValue(batch), 1, 1000));
                    return await importer.RunAsync(parse.GetValue(validOnly), ct);
                }
                catch (RpcException ex)
                {
                    return report(ex);
                }
                catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or CsvHelper.CsvHelperException or DocumentFormat.OpenXml.Packaging.OpenXmlPackageException)
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]The file cannot be read[/]: {ex.Message}");
                    return 1;
                }
            }
        });
        command.Subcommands.Add(TemplateCommand(connect, programmeOption, report));
        return command;
    }

    /// <summary>The programme definition from the server (element types, data sets).</summary>
    public static async Task<Protos.V1.Programme> ProgrammeAsync(GrpcChannel channel, Metadata headers, string programmeId, CancellationToken cancellationToken)
    {
        var programmes = await new Catalog.CatalogClient(channel).ListProgrammesAsync(new ListProgrammesRequest(), headers, cancellationToken: cancellationToken);
        return programmes.Programmes.FirstOrDefault(p => p.Id == programmeId)
            ?? throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, $"The tenant runs no programme '{programmeId}'."));
    }

    private static Command TemplateCommand(Func<ParseResult, (GrpcChannel Channel, Metadata Headers)> connect, Option<string> programmeOption, Func<RpcException, int> report)
    {
        var district = new Option<string>("--district") { Description = "GSO code of the district (its communes get a row each)", Required = true };
        var dataSet = new Option<string>("--dataset") { Description = "Data set whose elements become the columns", DefaultValueFactory = _ => "commune-monthly" };
        var periods = new Option<string[]>("--period") { Description = "Period(s) to lay out, e.g. 2025-03 (repeatable)", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "File to write (.xlsx or .csv)", Required = true };
        var command = new Command("template", "Write a blank import file for a district: a row per unit and period, a column per data element.") { district, dataSet, periods, output };
        command.SetAction(async (parse, ct) =>
        {
            var (channel, headers) = connect(parse);
            using (channel)
            {
                try
                {
                    var programme = await ProgrammeAsync(channel, headers, parse.GetValue(programmeOption)!, ct);
                    var set = programme.DataSets.FirstOrDefault(d => d.Id == parse.GetValue(dataSet))
                        ?? throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, $"Unknown data set '{parse.GetValue(dataSet)}' (one of {string.Join(", ", programme.DataSets.Select(d => d.Id))})."));
                    var unit = await new Catalog.CatalogClient(channel).GetUnitAsync(new GetUnitRequest { Code = parse.GetValue(district)! }, headers, cancellationToken: ct);
                    var units = set.Level == unit.Unit.Level ? [unit.Unit] : unit.Children.Where(c => c.Level == set.Level).ToList();
                    var header = new[] { UnitColumn, NameColumn, PeriodColumn }.Concat(set.DataElements).ToList();
                    var rows = units.SelectMany(u => parse.GetValue(periods)!.Select(p => (IReadOnlyList<string>)[u.Code, u.Name, p, .. set.DataElements.Select(_ => "")])).ToList();
                    var path = parse.GetValue(output)!;
                    TemplateWriter.Write(path, header, rows);
                    AnsiConsole.MarkupLineInterpolated($"{rows.Count} rows ({units.Count} units × {parse.GetValue(periods)!.Length} periods), {set.DataElements.Count} data elements → [green]{path}[/]");
                    return 0;
                }
                catch (RpcException ex)
                {
                    return report(ex);
                }
            }
        });
        return command;
    }

    /// <summary>The import itself: a checking pass over the whole file, then (if allowed) an applying pass.</summary>
    private sealed partial class SpreadsheetImport(Ingestion.IngestionClient client, Metadata headers, Protos.V1.Programme programme, string path, int batchSize)
    {
        private readonly Dictionary<string, string> _types = programme.DataElements.ToDictionary(e => e.Id, e => e.Type, StringComparer.Ordinal);
        private readonly List<string> _errors = [];
        private readonly HashSet<int> _badRows = [];
        private int _errorCount;

        /// <summary>Reports are stamped with the file's time: re-importing the same file repeats the same reports (duplicates), an edited file's reports are later and replace the earlier values.</summary>
        private readonly Timestamp _reportedAt = Timestamp.FromDateTime(File.GetLastWriteTimeUtc(path));

        public async Task<int> RunAsync(bool validOnly, CancellationToken cancellationToken)
        {
            if (!File.Exists(path))
            {
                AnsiConsole.MarkupLineInterpolated($"[red]No file {path}[/]");
                return 1;
            }

            var rows = 0;
            await AnsiConsole.Status().StartAsync("Checking every row…", async _ =>
                rows = await PassAsync(validate: true, null, cancellationToken));

            if (_errorCount > 0)
            {
                foreach (var error in _errors)
                {
                    AnsiConsole.MarkupLineInterpolated($"[yellow]{error}[/]");
                }

                if (_errorCount > _errors.Count)
                {
                    AnsiConsole.MarkupLineInterpolated($"… and {_errorCount - _errors.Count} more");
                }

                AnsiConsole.MarkupLineInterpolated($"[red]{_errorCount} errors in {_badRows.Count} of {rows} rows.[/]");
                if (!validOnly)
                {
                    AnsiConsole.MarkupLine("Nothing was imported. Correct the file, or pass --valid-only to import the valid rows.");
                    return 1;
                }
            }

            var shown = _errors.Count;
            var totals = new SubmitReportsResponse();
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("Importing", maxValue: Math.Max(1, rows - _badRows.Count));
                    await PassAsync(validate: false, (response, count) =>
                    {
                        totals.Accepted += response.Accepted;
                        totals.Duplicates += response.Duplicates;
                        totals.Rejected += response.Rejected;
                        task.Increment(count);
                    }, cancellationToken);
                });

            // Rows that passed the check but were refused when applied (the values held changed meanwhile).
            foreach (var error in _errors.Skip(shown))
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]{error}[/]");
            }

            AnsiConsole.MarkupLineInterpolated($"{totals.Accepted} reports imported, {totals.Duplicates} already imported before, {totals.Rejected} rejected.");
            return totals.Rejected > 0 || (_errorCount > 0 && !validOnly) ? 1 : 0;
        }

        /// <summary>Streams the file in batches; returns the number of data rows.</summary>
        private async Task<int> PassAsync(bool validate, Action<SubmitReportsResponse, int>? done, CancellationToken cancellationToken)
        {
            var columns = new List<string>();
            var batch = new List<(SpreadsheetRow Row, Report Report, List<string> ValueColumns)>();
            var rows = 0;
            var headerChecked = false;
            foreach (var row in SpreadsheetRows.Read(path, columns))
            {
                if (!headerChecked)
                {
                    headerChecked = true;
                    if (validate && !CheckHeader(columns))
                    {
                        return 0;
                    }
                }

                rows++;
                if (!validate && _badRows.Contains(row.Number))
                {
                    continue;
                }

                if (ToReport(row, validate) is { } built)
                {
                    batch.Add((row, built.Report, built.Columns));
                }

                if (batch.Count == batchSize)
                {
                    await SendAsync(batch, validate, done, cancellationToken);
                    batch.Clear();
                }
            }

            if (batch.Count > 0)
            {
                await SendAsync(batch, validate, done, cancellationToken);
            }

            return rows;
        }

        private bool CheckHeader(List<string> columns)
        {
            foreach (var required in new[] { UnitColumn, PeriodColumn })
            {
                if (!columns.Contains(required))
                {
                    Error(1, required, "this column is missing");
                }
            }

            foreach (var column in columns.Where(c => c.Length > 0 && c is not (UnitColumn or PeriodColumn or NameColumn) && !_types.ContainsKey(c)))
            {
                Error(1, column, $"not a data element of {programme.Id}");
            }

            return _errorCount == 0;
        }

        private (Report Report, List<string> Columns)? ToReport(SpreadsheetRow row, bool validate)
        {
            var report = new Report
            {
                UnitCode = row.Cells.GetValueOrDefault(UnitColumn, ""),
                Period = row.Cells.GetValueOrDefault(PeriodColumn, ""),
                ProgrammeId = programme.Id,
                ReportedAt = _reportedAt,
                SourceSystem = "aggregation import " + Path.GetFileName(path),
            };
            var columns = new List<string>();
            var ok = true;
            foreach (var (column, text) in row.Cells.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                if (!_types.TryGetValue(column, out var type))
                {
                    continue;
                }

                var value = new DataValue { DataElement = column };
                switch (type)
                {
                    case "flag":
                        switch (text.ToLowerInvariant())
                        {
                            case "yes" or "có" or "1" or "true": value.Flag = true; break;
                            case "no" or "không" or "0" or "false": value.Flag = false; break;
                            default: ok = Fail(validate, row.Number, column, $"'{text}' is not yes/no (có/không)"); continue;
                        }

                        break;
                    case "entities":
                        value.Entities = new EntityIds { Ids = { text.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) } };
                        break;
                    default:
                        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                        {
                            ok = Fail(validate, row.Number, column, $"'{text}' is not a number");
                            continue;
                        }

                        value.Number = number;
                        break;
                }

                report.Values.Add(value);
                columns.Add(column);
            }

            if (!ok)
            {
                return null;
            }

            report.IdempotencyKey = Key(report);
            return (report, columns);
        }

        private bool Fail(bool validate, int row, string column, string message)
        {
            if (validate)
            {
                Error(row, column, message);
            }

            return false;
        }

        private async Task SendAsync(List<(SpreadsheetRow Row, Report Report, List<string> ValueColumns)> batch, bool validate, Action<SubmitReportsResponse, int>? done, CancellationToken cancellationToken)
        {
            var request = new SubmitReportsRequest { ValidateOnly = validate };
            request.Reports.AddRange(batch.Select(b => b.Report));
            var response = await client.SubmitReportsAsync(request, headers, cancellationToken: cancellationToken);
            foreach (var result in response.Results.Where(r => r.Outcome == ReportOutcome.Rejected))
            {
                var (row, _, valueColumns) = batch[result.Index];
                foreach (var violation in result.Violations)
                {
                    Error(row.Number, ColumnOf(violation.Field, valueColumns), violation.Description);
                }
            }

            done?.Invoke(response, batch.Count);
        }

        /// <summary>"reports[3].values[1].number" → the column of the row's second value; "reports[3].period" → period.</summary>
        private static string ColumnOf(string field, List<string> valueColumns)
        {
            var match = ValuePath().Match(field);
            if (match.Success && int.TryParse(match.Groups[1].Value, out var index) && index < valueColumns.Count)
            {
                return valueColumns[index];
            }

            var dot = field.IndexOf("].", StringComparison.Ordinal);
            return dot >= 0 ? field[(dot + 2)..] : field;
        }

        private void Error(int row, string column, string message)
        {
            _errorCount++;
            _badRows.Add(row);
            if (_errors.Count < MaxErrorsShown)
            {
                _errors.Add($"row {row}, column {column}: {message}");
            }
        }

        /// <summary>Stable across runs: the same row of the same file is the same report.</summary>
        private static string Key(Report report)
        {
            var text = new StringBuilder().Append(report.UnitCode).Append('|').Append(report.Period).Append('|').Append(report.ReportedAt.Seconds).Append('.').Append(report.ReportedAt.Nanos);
            foreach (var v in report.Values)
            {
                text.Append('|').Append(v.DataElement).Append('=').Append(v.ToString());
            }

            return "import-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0, 16).ToLowerInvariant();
        }

        [GeneratedRegex(@"values\[(\d+)\]")]
        private static partial Regex ValuePath();
    }
}
