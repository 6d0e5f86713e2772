using System.Collections.Immutable;
using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;
using Programme = Aggregation.Programmes.Programme;
using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Server.Errors;
using Aggregation.Server.Hosting;

namespace Aggregation.Server.Ingestion;

/// <summary>
/// Checks a report against the catalog before anything is touched and turns it into a command.
/// Every problem is reported, each naming its field; rules that need the unit's stored values
/// (numerator ≤ denominator across reports) are checked by the unit itself.
/// </summary>
public sealed class ReportValidator(Hierarchy.Catalog catalog, ReportingClock clock)
{
    public const int MaxKeyLength = Identifiers.MaxLength;
    public const int MaxValuesPerReport = 200;
    public const int MaxEntitiesPerValue = 10_000;
    public const int MaxEntityIdLength = 64;
    public const double MaxNumber = 1e12;
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public sealed record Validated(UnitKey Unit, ReportCommand Command);

    private string UnitNotInForce(Tenant tenant, string code, Period period)
    {
        var known = catalog.UnitsWithCode(tenant.Id, code).ToList();
        if (known.Count == 0)
        {
            return $"unknown unit '{RpcErrors.Clip(code)}' in tenant {tenant.Id}";
        }

        var last = known[0];
        if (last.ValidFrom >= period.End)
        {
            return $"unit {code} ({last.Name}) exists from {last.ValidFrom:yyyy-MM-dd}; {period} is before it";
        }

        var next = catalog.SuccessorOf(last.Key);
        return $"unit {code} ({last.Name}) is not in force in {period}: it ended on {last.ValidTo:yyyy-MM-dd}"
            + (next is null ? "" : $"; report for {next.Code} ({next.Name}), which took it over");
    }

    public Validated? Validate(Tenant tenant, Report report, string prefix, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(report);
        var start = errors.Count;
        // The Vietnamese sentence, where given, is what the browser's data entry form shows for it.
        void Error(string field, string description, string? vi = null) => errors.Add(new FieldError(prefix + field, description, vi));

        var key = report.IdempotencyKey;
        if (string.IsNullOrEmpty(key))
        {
            Error("idempotency_key", "is required: generate one per report and reuse it when retrying");
        }
        else if (!Identifiers.IsWellFormed(key))
        {
            Error("idempotency_key", Identifiers.Problem(key));
        }

        // Identifiers are looked up exactly as sent; a malformed one is named as such rather than as unknown.
        Programme? programme = null;
        if (!Identifiers.IsWellFormed(report.ProgrammeId))
        {
            Error("programme_id", Identifiers.Problem(report.ProgrammeId));
        }
        else if (!tenant.ProgrammeIds.Contains(report.ProgrammeId) || !catalog.Programmes.TryGetValue(report.ProgrammeId, out programme))
        {
            Error("programme_id", $"unknown programme '{RpcErrors.Clip(report.ProgrammeId)}' for tenant {tenant.Id}");
        }

        var now = clock.Now;
        var today = clock.Today;
        var periodOk = Period.TryParse(report.Period, out var period, out var periodError);
        if (!periodOk)
        {
            Error("period", periodError);
        }
        else if (period.Type == PeriodType.Plan)
        {
            Error("period", "reports are for a month, quarter, six-month half or year, not a span of years");
            periodOk = false;
        }
        else if (programme is not null && !programme.Calendar.Contains(period))
        {
            Error("period", $"{period} is outside the programme ({programme.Calendar.Whole})", $"Kỳ {period} nằm ngoài thời gian của kế hoạch ({programme.Calendar.FirstYear}–{programme.Calendar.LastYear}).");
            periodOk = false;
        }
        else if (period.Start > today)
        {
            Error("period", $"{period} has not started yet (today is {today:yyyy-MM-dd})", $"Kỳ {period} chưa bắt đầu (hôm nay là {today:dd/MM/yyyy}, giờ Việt Nam): chưa thể báo cáo cho kỳ này.");
            periodOk = false;
        }

        // The unit is the one the code names in the hierarchy in force for the period (codes were reused
        // across versions); a code that names a unit only at other dates says what replaced it.
        AdminUnit? unit = null;
        if (!Identifiers.IsWellFormed(report.UnitCode))
        {
            Error("unit_code", Identifiers.Problem(report.UnitCode));
        }
        else if (periodOk && !catalog.TryResolve(tenant.Id, report.UnitCode, period.Start, period.End, out unit))
        {
            Error("unit_code", UnitNotInForce(tenant, report.UnitCode, period), $"Đơn vị {report.UnitCode} không tồn tại trong kỳ {period} (theo danh mục đơn vị hành chính của kỳ này).");
        }
        else if (!periodOk && !catalog.UnitsWithCode(tenant.Id, report.UnitCode).Any())
        {
            Error("unit_code", $"unknown unit '{RpcErrors.Clip(report.UnitCode)}' in tenant {tenant.Id}", $"Không có đơn vị mã “{RpcErrors.Clip(report.UnitCode)}”.");
        }

        var reportedAt = now;
        if (report.ReportedAt is not null)
        {
            if (report.ReportedAt.Seconds is < 946_684_800 or > 32_503_680_000 || report.ReportedAt.Nanos is < 0 or > 999_999_999)
            {
                Error("reported_at", "is not a valid timestamp after 2000-01-01");
            }
            else
            {
                reportedAt = report.ReportedAt.ToDateTimeOffset();
                if (reportedAt > now + ClockSkew)
                {
                    Error("reported_at", $"is in the future ({reportedAt:O}); check the sending system's clock");
                }
            }
        }

        if (report.SourceSystem.Length > 200)
        {
            Error("source_system", "may be at most 200 characters");
        }
        else if (report.SourceSystem.Any(char.IsControl))
        {
            // PostgreSQL text cannot hold NUL, and no system name needs control characters.
            Error("source_system", "may not contain control characters");
        }

        if (report.Values.Count == 0)
        {
            Error("values", "at least one value is required");
        }
        else if (report.Values.Count > MaxValuesPerReport)
        {
            Error("values", $"at most {MaxValuesPerReport} values per report");
        }

        var values = ImmutableArray.CreateBuilder<ValueCommand>(report.Values.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < report.Values.Count && i < MaxValuesPerReport; i++)
        {
            var v = report.Values[i];
            var path = $"values[{i}]";
            Programmes.DataElement? element = null;
            if (!Identifiers.IsWellFormed(v.DataElement))
            {
                Error($"{path}.data_element", Identifiers.Problem(v.DataElement));
            }
            else if (programme is not null && !programme.ElementsById.TryGetValue(v.DataElement, out element))
            {
                Error($"{path}.data_element", $"unknown data element '{RpcErrors.Clip(v.DataElement)}' in programme {programme.Id}");
            }
            else if (!seen.Add(v.DataElement))
            {
                Error($"{path}.data_element", $"'{RpcErrors.Clip(v.DataElement)}' appears twice in the report");
                element = null;
            }

            if (element is not null && unit is not null && !element.Levels.Contains(unit.Level))
            {
                Error($"{path}.data_element", $"'{element.Id}' is reported by a {string.Join(" or ", element.Levels)}, not by a {unit.Level} ({unit.Code})", $"Chỉ tiêu này do cấp {string.Join(" hoặc ", element.Levels)} báo cáo, không phải cấp {unit.Level} ({unit.Code}).");
            }

            if (element is not null && periodOk && period.Type != element.PeriodType)
            {
                Error($"{path}.data_element", $"'{element.Id}' is reported {element.PeriodType.Name()}, but the period {period} is {period.Type.Name()}", $"Chỉ tiêu này không báo cáo theo loại kỳ của {period}.");
            }

            var command = element is null ? null : ValidateValue(v, element, path, (field, description) => Error(field, description));
            if (command is not null)
            {
                values.Add(command);
            }
        }

        if (errors.Count > start)
        {
            return null;
        }

        var cmd = new ReportCommand(key, programme!.Id, period, reportedAt, values.ToImmutable(), report.SourceSystem, clock.Now);
        return new Validated(unit!.Key, cmd);
    }

    private static ValueCommand? ValidateValue(DataValue v, Programmes.DataElement element, string path, Action<string, string> error)
    {
        switch (v.ValueCase)
        {
            case DataValue.ValueOneofCase.None:
                error(path, $"a value is required (number, flag, entities or withdrawn) for '{element.Id}'");
                return null;
            case DataValue.ValueOneofCase.Withdrawn:
                return new ValueCommand(element.Id, ValueKind.Withdrawn, 0, []);
            case DataValue.ValueOneofCase.Number when element.Type is ElementType.Count or ElementType.Stock:
                var n = v.Number;
                if (double.IsNaN(n) || double.IsInfinity(n))
                {
                    error($"{path}.number", "must be a finite number (NaN and infinity are not counts)");
                    return null;
                }

                if (n < 0)
                {
                    error($"{path}.number", $"{n} is negative; counts and stocks are zero or more");
                    return null;
                }

                if (n != Math.Floor(n))
                {
                    error($"{path}.number", $"{n} is not a whole number; '{element.Id}' counts people or things");
                    return null;
                }

                if (n > MaxNumber)
                {
                    error($"{path}.number", $"{n} exceeds the largest accepted value ({MaxNumber:0})");
                    return null;
                }

                return new ValueCommand(element.Id, ValueKind.Number, (long)n, []);
            case DataValue.ValueOneofCase.Flag when element.Type == ElementType.Flag:
                return new ValueCommand(element.Id, ValueKind.Flag, v.Flag ? 1 : 0, []);
            case DataValue.ValueOneofCase.Entities when element.Type == ElementType.Entities:
                var ids = v.Entities.Ids;
                if (ids.Count > MaxEntitiesPerValue)
                {
                    error($"{path}.entities", $"at most {MaxEntitiesPerValue} ids per value");
                    return null;
                }

                var distinct = new HashSet<string>(StringComparer.Ordinal);
                for (var j = 0; j < ids.Count; j++)
                {
                    var id = ids[j];
                    if (id.Length is 0 or > MaxEntityIdLength || id.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
                    {
                        error($"{path}.entities.ids[{j}]", $"must be 1-{MaxEntityIdLength} characters without spaces or control characters");
                        return null;
                    }

                    if (!distinct.Add(id))
                    {
                        error($"{path}.entities.ids[{j}]", $"'{RpcErrors.Clip(id)}' is listed twice");
                        return null;
                    }
                }

                return new ValueCommand(element.Id, ValueKind.Entities, ids.Count, [.. ids]);
            default:
                var expected = element.Type switch
                {
                    ElementType.Flag => "flag",
                    ElementType.Entities => "entities",
                    _ => "number",
                };
                error(path, $"'{element.Id}' is a {element.Type.ToString().ToLowerInvariant()} element: send '{expected}', not '{v.ValueCase.ToString().ToLowerInvariant()}'");
                return null;
        }
    }
}
