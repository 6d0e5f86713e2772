using System.Globalization;
using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Protos.V1;
using Aggregation.Security;
using Aggregation.Server.Catalog;
using Aggregation.Server.Dashboard;
using Aggregation.Server.Errors;
using Aggregation.Server.Hosting;
using Aggregation.Server.Security;
using Aggregation.Spreadsheets;
using Google.Protobuf.WellKnownTypes;

namespace Aggregation.Server.Ingestion;

/// <summary>
/// The upload page's API under <c>/api/import</c>: the same template the command line's
/// <c>import template</c> writes, and the same import as <c>aggregation import</c> (every row checked
/// first through <see cref="SubmissionPipeline"/> with validate_only, then the file or its valid rows
/// applied), run as a job the page polls for its progress. Same credentials and role as SubmitReports.
/// </summary>
public static class ImportApi
{
    /// <summary>The largest file accepted (the page says so): a province's communes for a year fit many times over.</summary>
    public const long MaxUploadBytes = 20 * 1024 * 1024;

    /// <summary>Reports per pipeline call, as the command line sends them.</summary>
    private const int BatchSize = 500;

    public static IServiceCollection AddImportJobs(this IServiceCollection services)
    {
        services.AddSingleton<ImportJobs>();
        return services;
    }

    public static WebApplication MapImport(this WebApplication app)
    {
        var api = app.MapGroup("/api/import").RequireAuthorization();

        // The caller's units and data sets, for the page's choices.
        api.MapGet("/scope", (HttpContext http, AccessControl access, Hierarchy.Catalog catalog, ReportingClock clock) => Guarded(http, () =>
        {
            var (caller, tenant) = Submitter(http, access);
            var programme = catalog.Programmes[tenant.ProgrammeIds[0]];
            var codes = caller.SeesWholeTenant ? tenant.ProvinceCodes : caller.Units;
            var units = codes
                .Select(code => catalog.UnitsWithCode(tenant.Id, code).OrderByDescending(u => u.ValidFrom).FirstOrDefault())
                .OfType<AdminUnit>()
                .Select(u => new { code = u.Code, name = u.Name, level = u.Level });
            var dataSets = programme.DataSets
                .Where(d => caller.DataSets is null || caller.DataSets.Contains(d.Id))
                .Select(d => new { id = d.Id, nameVi = d.Name.Vi ?? d.Id, nameEn = d.Name.En ?? d.Id, level = d.Level, periodType = d.PeriodType.Name() });
            var proto = CatalogService.ToProto(programme);
            var vietnam = clock.Now.ToOffset(ReportingClock.VietnamOffset).AddMonths(-1);
            var month = vietnam.ToString("yyyy-MM", CultureInfo.InvariantCulture);
            month = string.CompareOrdinal(month, proto.FirstPeriod) < 0 ? proto.FirstPeriod : string.CompareOrdinal(month, proto.LastPeriod) > 0 ? proto.LastPeriod : month;
            return Task.FromResult(Results.Json(new { programme = programme.Id, units, dataSets, defaultPeriod = month, maxUploadBytes = MaxUploadBytes }));
        }));

        // The template file: a row per unit of the data set's level in force in each period, under ?unit.
        api.MapGet("/template", (string unit, string dataSet, string period, string? format, string? lang, HttpContext http, AccessControl access, Hierarchy.Catalog catalog, ImportJobs jobs) => Guarded(http, async () =>
        {
            var language = LanguageOf(lang);
            var (caller, tenant) = Submitter(http, access);
            access.RequireReadable(caller, tenant, unit, "unit");
            var programme = CatalogService.ToProto(catalog.Programmes[tenant.ProgrammeIds[0]]);
            var set = programme.DataSets.FirstOrDefault(d => d.Id == dataSet);
            if (set is null)
            {
                return Refuse(StatusCodes.Status400BadRequest, Said.Both(l => l.T(
                    $"Không có bộ số liệu '{RpcErrors.Clip(dataSet)}' (các bộ có: {string.Join(", ", programme.DataSets.Select(d => d.Id))}).",
                    $"Unknown data set '{RpcErrors.Clip(dataSet)}' (one of {string.Join(", ", programme.DataSets.Select(d => d.Id))}).")), language);
            }

            var wanted = new List<(string Period, DateOnly Last)>();
            foreach (var p in period.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal))
            {
                if (!PeriodDates.TryLastDay(p, out var last))
                {
                    return Refuse(StatusCodes.Status400BadRequest, Said.Both(l => l.T(
                        $"'{RpcErrors.Clip(p)}' không phải kỳ báo cáo: hãy viết 2025-03 (một tháng), 2025Q1 (một quý), 2025S1 (6 tháng) hoặc 2025 (một năm).",
                        $"'{RpcErrors.Clip(p)}' is not a period: write 2025-03 (a month), 2025Q1, 2025S1 or 2025.")), language);
                }

                wanted.Add((p, last));
            }

            if (wanted.Count == 0)
            {
                return Refuse(StatusCodes.Status400BadRequest, Said.Both(l => l.T("Hãy chọn kỳ báo cáo.", "Choose a period.")), language);
            }

            var template = new Template(new CatalogTemplateUnits(catalog, tenant, caller, access), programme, set, language);
            foreach (var (p, last) in wanted)
            {
                if (await template.AddPeriodAsync(unit, p, last, http.RequestAborted) is { } problem)
                {
                    return Refuse(StatusCodes.Status400BadRequest, new Said(problem, problem), language);
                }
            }

            var extension = format == "csv" ? ".csv" : ".xlsx";
            Directory.CreateDirectory(jobs.Folder);
            var path = Path.Combine(jobs.Folder, "template-" + Guid.NewGuid().ToString("N") + extension);
            template.Write(path);

            // What the command line prints beside the file: how many rows of which area, and any unit that ended.
            http.Response.Headers["Template-Summary"] = Uri.EscapeDataString(string.Join("\n", template.Summary.Concat(template.Notes)));
            var name = $"bieu-mau-{set.Id}-{unit}-{string.Join("_", wanted.Select(w => w.Period))}{extension}";
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            return Results.File(file, extension == ".csv" ? "text/csv; charset=utf-8" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name);
        }));

        // The file as the request body (streamed to disk), named by ?name; ?modified is the file's time
        // (milliseconds since 1970, as the browser's File.lastModified), which its reports carry.
        api.MapPost("/uploads", (string? name, long? modified, string? numbers, string? lang, HttpContext http, AccessControl access, Hierarchy.Catalog catalog, SubmissionPipeline pipeline, ImportJobs jobs, ReportingClock clock) => Guarded(http, async () =>
        {
            var language = LanguageOf(lang);
            var (caller, tenant) = Submitter(http, access);
            var fileName = SafeName(name);
            var extension = Path.GetExtension(fileName).ToLowerInvariant();
            if (extension is not (".csv" or ".xlsx"))
            {
                return Refuse(StatusCodes.Status400BadRequest, Said.Both(l => l.T(
                    $"Tệp {fileName} không phải .xlsx hay .csv: hãy tải lên biểu mẫu đã điền, lưu dưới dạng .xlsx hoặc .csv.",
                    $"{fileName} is not an .xlsx or .csv file: upload the filled-in template, saved as .xlsx or .csv.")), language);
            }

            var format = NumberFormat.Vi;
            if (numbers is not null && !NumberReader.TryParseFormat(numbers, out format))
            {
                return Refuse(StatusCodes.Status400BadRequest, Said.Both(l => l.T("Cách viết số phải là vi hoặc en.", "The number format must be vi or en.")), language);
            }

            if (http.Request.ContentLength > MaxUploadBytes)
            {
                return TooLarge(language);
            }

            var path = jobs.Reserve(caller, extension);
            long? size;
            try
            {
                size = await SaveAsync(http.Request.Body, path, http.RequestAborted);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or BadHttpRequestException)
            {
                // The page went away or the connection broke mid-file: nothing of it is kept.
                File.Delete(path);
                return Refuse(StatusCodes.Status400BadRequest, Said.Both(l => l.T(
                    $"Việc tải lên {fileName} bị ngắt giữa chừng; chưa nhận gì. Hãy tải lên lại.",
                    $"The upload of {fileName} was interrupted; nothing was kept. Upload it again.")), language);
            }

            if (size is null or 0)
            {
                File.Delete(path);
                return size is null ? TooLarge(language) : Refuse(StatusCodes.Status400BadRequest, Said.Both(l => l.T($"Tệp {fileName} trống.", $"{fileName} is empty.")), language);
            }

            var reportedAt = modified is > 946_684_800_000 and < 253_402_300_800_000
                ? DateTimeOffset.FromUnixTimeMilliseconds(modified.Value)
                : clock.Now;
            var programme = CatalogService.ToProto(catalog.Programmes[tenant.ProgrammeIds[0]]);
            var import = new SpreadsheetImport(
                programme,
                path,
                "aggregation upload " + fileName,
                Timestamp.FromDateTimeOffset(reportedAt),
                format,
                BatchSize,
                new PipelineSink(pipeline, access, catalog, caller, tenant));
            var job = new ImportJob(Guid.NewGuid().ToString("N"), caller, tenant, path, fileName, import);
            jobs.Add(job);
            jobs.Run(job, async (j, ct) =>
            {
                j.Enter(ImportPhase.Counting, 0);
                var total = SpreadsheetImport.CountRows(j.Path);
                j.Enter(ImportPhase.Validating, total);
                await j.Import.ValidateAsync(j.Progress, ct);
                j.Finish(ImportPhase.Validated);
            });
            return Results.Json(Status(job), statusCode: StatusCodes.Status202Accepted);
        }));

        api.MapGet("/uploads/{id}", (string id, HttpContext http, AccessControl access, ImportJobs jobs) => Guarded(http, () =>
        {
            var (caller, _) = Submitter(http, access);
            return Task.FromResult(Results.Json(Status(jobs.Get(caller, id))));
        }));

        // Applies the checked file: whole when it has no error, or its valid rows when ?validOnly=true.
        api.MapPost("/uploads/{id}/import", (string id, bool? validOnly, string? lang, HttpContext http, AccessControl access, ImportJobs jobs) => Guarded(http, () =>
        {
            var language = LanguageOf(lang);
            var (caller, _) = Submitter(http, access);
            var job = jobs.Get(caller, id);
            var import = job.Import;
            if (job.Phase != ImportPhase.Validated)
            {
                return Task.FromResult(Refuse(StatusCodes.Status409Conflict, job.Phase is ImportPhase.Importing or ImportPhase.Imported
                    ? Said.Both(l => l.T("Tệp này đã được nhập; hãy tải lên lại nếu muốn nhập lần nữa.", "This file was imported already; upload it again to import it once more."))
                    : Said.Both(l => l.T("Tệp chưa kiểm tra xong; hãy đợi kết quả kiểm tra.", "The file has not been checked yet; wait for the check to finish.")), language));
            }

            if (import.HeaderRefused)
            {
                return Task.FromResult(Refuse(StatusCodes.Status400BadRequest, Said.Both(l => l.T(
                    "Không nhập được: dòng tiêu đề có lỗi, nên chưa đọc được dòng nào. Hãy sửa dòng tiêu đề rồi tải lên lại.",
                    "Nothing can be imported: the header has errors, so no row could be read. Correct the header and upload again.")), language));
            }

            if (import.ErrorCount > 0 && validOnly != true)
            {
                return Task.FromResult(Refuse(StatusCodes.Status400BadRequest, Said.Both(l => l.T(
                    $"Tệp có {l.Count(import.ErrorCount, "lỗi", "error", "errors")}: chưa nhập gì. Hãy sửa tệp và tải lên lại, hoặc chọn chỉ nhập các dòng hợp lệ.",
                    $"The file has {l.Count(import.ErrorCount, "lỗi", "error", "errors")}: nothing was imported. Correct it and upload again, or choose to import the valid rows only.")), language));
            }

            if (import.RowsToImport == 0)
            {
                return Task.FromResult(Refuse(StatusCodes.Status400BadRequest, Said.Both(l => l.T("Không có dòng hợp lệ nào có số liệu để nhập.", "No valid row with values to import.")), language));
            }

            job.Enter(ImportPhase.Importing, import.RowsToImport, validOnly == true);
            jobs.Run(job, async (j, ct) =>
            {
                await j.Import.ImportAsync(j.Add, ct);
                j.Finish(ImportPhase.Imported);
            });
            return Task.FromResult(Results.Json(Status(job), statusCode: StatusCodes.Status202Accepted));
        }));

        return app;
    }

    /// <summary>What the page shows of a job: its phase and progress, the counts, and the first errors by row and column in both languages.</summary>
    private static object Status(ImportJob job)
    {
        var import = job.Import;
        var checkedYet = job.Phase is not (ImportPhase.Counting or ImportPhase.Validating);
        static object Errors(IEnumerable<ImportError> errors) =>
            errors.Select(e => new { row = e.Row, column = e.Column, columnId = e.ColumnId, vi = e.Message.Vi, en = e.Message.En }).ToList();
        return new
        {
            id = job.Id,
            fileName = job.FileName,
            phase = job.Phase.ToString().ToLowerInvariant(),
            total = job.Total,
            done = job.Done,
            rows = checkedYet ? import.Rows : 0,
            errorCount = import.ErrorCount,
            badRows = import.BadRows,
            blankRows = import.BlankRows,
            validRows = checkedYet ? import.RowsToImport : 0,
            headerRefused = import.HeaderRefused,
            errors = checkedYet ? Errors(import.Errors) : Errors([]),
            // Read once the import has ended: the import adds to it while it runs.
            refused = job.Phase is ImportPhase.Imported or ImportPhase.Failed ? Errors(import.RefusedWhenApplied) : Errors([]),
            validOnly = job.ValidOnly,
            accepted = job.Totals.Accepted,
            duplicates = job.Totals.Duplicates,
            rejected = job.Totals.Rejected,
            failure = job.Failure is { } f ? new { vi = f.Vi, en = f.En } : null,
        };
    }

    /// <summary>Copies the body to <paramref name="path"/>; the bytes written, or null past <see cref="MaxUploadBytes"/> (the file is then deleted).</summary>
    private static async Task<long?> SaveAsync(Stream body, string path, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long size = 0;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                size += read;
                if (size > MaxUploadBytes)
                {
                    break;
                }

                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }

        if (size > MaxUploadBytes)
        {
            File.Delete(path);
            return null;
        }

        return size;
    }

    private static IResult TooLarge(Language language) => Refuse(StatusCodes.Status413PayloadTooLarge, Said.Both(l => l.T(
        $"Tệp lớn hơn {MaxUploadBytes / (1024 * 1024)} MB, mức tối đa được tải lên: hãy chia tệp thành nhiều tệp nhỏ hơn.",
        $"The file is larger than {MaxUploadBytes / (1024 * 1024)} MB, the most an upload may be: split it into smaller files.")), language);

    /// <summary>The name the officer's file had, as shown back and recorded as the reports' source: no folder, no control characters, at most 120 characters.</summary>
    private static string SafeName(string? name)
    {
        var plain = new string(Path.GetFileName(name ?? "").Where(c => !char.IsControl(c)).ToArray()).Trim();
        return plain.Length == 0 ? "upload" : plain.Length > 120 ? plain[..120] : plain;
    }

    private static Language LanguageOf(string? lang) => lang == "en" ? Language.InEnglish : Language.Vietnamese;

    /// <summary>A refusal of the upload page in the page's language, with both sentences for a page that switches.</summary>
    private static IResult Refuse(int status, Said said, Language language) =>
        Results.Json(new { error = said.In(language), vi = said.Vi, en = said.En }, statusCode: status);

    private static (Caller Caller, Tenant Tenant) Submitter(HttpContext http, AccessControl access) =>
        access.Authorize(http, http.Request.Query["tenant"], Roles.Submitter);

    private static async Task<IResult> Guarded(HttpContext http, Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (RequestRefusedException refused)
        {
            return DashboardErrors.ToHttp(refused);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The page went away mid-upload: nobody reads the answer.
            return Results.Empty;
        }
    }

    /// <summary>The import's reports through the server's own pipeline, as SubmitReports would take them from this caller.</summary>
    private sealed class PipelineSink(SubmissionPipeline pipeline, AccessControl access, Hierarchy.Catalog catalog, Caller caller, Tenant tenant) : IReportSink
    {
        public async Task<SubmitReportsResponse> SubmitAsync(IReadOnlyList<Report> reports, bool validateOnly, CancellationToken cancellationToken)
        {
            // A row for a unit outside the credential is that row's error, not the whole file's: SubmitReports
            // refuses the whole call, which the page would show as one sentence without a row.
            var results = new ReportResult?[reports.Count];
            var allowed = new List<int>();
            for (var i = 0; i < reports.Count; i++)
            {
                if (access.SubmitDenial(caller, tenant, reports[i], $"reports[{i}].") is { } denial)
                {
                    var refused = new ReportResult { Index = i, IdempotencyKey = reports[i].IdempotencyKey, Outcome = ReportOutcome.Rejected };
                    refused.Violations.Add(new FieldViolation { Field = denial.Field, Description = denial.Description });
                    results[i] = refused;
                }
                else
                {
                    allowed.Add(i);
                }
            }

            if (allowed.Count > 0)
            {
                var outcomes = await pipeline.SubmitAsync(caller, tenant, allowed.Select(i => reports[i]).ToList(), batchPaths: true, DateTime.UtcNow.AddMinutes(5), cancellationToken, validateOnly);
                for (var j = 0; j < outcomes.Length; j++)
                {
                    var result = outcomes[j].Result.Clone();
                    result.Index = allowed[j];
                    results[allowed[j]] = result;
                }
            }

            var response = new SubmitReportsResponse();
            foreach (var result in results)
            {
                response.Results.Add(result!);
                switch (result!.Outcome)
                {
                    case ReportOutcome.Accepted or ReportOutcome.Valid: response.Accepted++; break;
                    case ReportOutcome.Duplicate: response.Duplicates++; break;
                    default: response.Rejected++; break;
                }
            }

            return response;
        }

        public Task<string?> UnitNameAsync(string code, string asOf, CancellationToken cancellationToken)
        {
            var on = DateOnly.TryParseExact(asOf, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : ReportingClock.VietnamDate(DateTimeOffset.UtcNow);
            return Task.FromResult(Identifiers.IsWellFormed(code) ? CatalogService.Describe(catalog, tenant, code, on)?.Unit.Name : null);
        }

        public Said Explain(string description) => ViolationText.Explain(description);
    }

    /// <summary>The tenant's hierarchy for templates, limited to the units within the caller's scope.</summary>
    private sealed class CatalogTemplateUnits(Hierarchy.Catalog catalog, Tenant tenant, Caller caller, AccessControl access) : ITemplateUnits
    {
        public Task<GetUnitResponse> GetUnitAsync(string code, string asOf, CancellationToken cancellationToken) =>
            Task.FromResult(CatalogService.Describe(catalog, tenant, code, DateOnly.ParseExact(asOf, "yyyy-MM-dd", CultureInfo.InvariantCulture))
                ?? throw new InvalidRequestException(new global::Aggregation.Rollup.FieldError("unit", $"unknown unit '{RpcErrors.Clip(code)}' in tenant {tenant.Id}")));

        public Task<IReadOnlyList<Unit>> ListAsync(string level, string ancestorCode, string asOf, CancellationToken cancellationToken)
        {
            var on = DateOnly.ParseExact(asOf, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (!catalog.TryResolve(tenant.Id, ancestorCode, on, out var ancestor))
            {
                return Task.FromResult<IReadOnlyList<Unit>>([]);
            }

            var units = new List<AdminUnit>();
            var stack = new Stack<AdminUnit>([ancestor]);
            while (stack.Count > 0)
            {
                var u = stack.Pop();
                if (u.Level == level && u.InForceOn(on) && access.InScope(caller, u))
                {
                    units.Add(u);
                }

                foreach (var child in catalog.ChildrenOf(u.Key))
                {
                    stack.Push(child);
                }
            }

            return Task.FromResult<IReadOnlyList<Unit>>(units.OrderBy(u => u.Code, StringComparer.Ordinal).Select(u => CatalogService.ToProto(u, catalog)).ToList());
        }
    }
}
