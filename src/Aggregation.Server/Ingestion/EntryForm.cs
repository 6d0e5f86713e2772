using Aggregation.Programmes;
using Aggregation.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using DataElement = Aggregation.Programmes.DataElement;
using DataSet = Aggregation.Programmes.DataSet;
using Programme = Aggregation.Programmes.Programme;

namespace Aggregation.Server.Ingestion;

/// <summary>What the browser's data entry form posts: one data set, unit and period, and the values the officer changed.</summary>
public sealed record EntrySubmission(
    string? IdempotencyKey,
    string? DataSet,
    string? Period,
    string? Unit,
    string? Lang,
    IReadOnlyList<EntryValue>? Values)
{
    public bool Vietnamese => Lang != "en";
}

/// <summary>
/// One field of the form as typed: <see cref="Text"/> for a count or stock, <see cref="Flag"/> for
/// yes/no, <see cref="Entities"/> for a list of ids (one per line or comma separated), or
/// <see cref="Withdraw"/> to withdraw the value held.
/// </summary>
public sealed record EntryValue(string? Element, string? Text, bool? Flag, string? Entities, bool Withdraw);

/// <summary>A problem with one field of the form (an element id, or <c>period</c>, <c>unit</c>, <c>form</c>), in both languages.</summary>
public sealed record EntryFieldError(string Field, string Vi, string En);

/// <summary>
/// Turns the form into the <see cref="Report"/> a gRPC client would send, reading each value as the
/// officer meant it in the page's notation, so that it then goes through the same submission path
/// (scope, validation, rules, ledger, audit). Problems the form alone shows (text that is no whole
/// number, an element not in the data set) are found here and said in both languages; nothing is
/// submitted while any remains.
/// </summary>
public static class EntryForm
{
    /// <summary>The source system recorded for reports typed into the browser's form.</summary>
    public const string Source = "data-entry-form";

    private static readonly char[] EntitySeparators = ['\n', '\r', ',', ';'];

    public static Report? ToReport(EntrySubmission form, Programme programme, DataSet dataSet, DateTimeOffset now, List<EntryFieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(form);
        ArgumentNullException.ThrowIfNull(programme);
        ArgumentNullException.ThrowIfNull(dataSet);
        ArgumentNullException.ThrowIfNull(errors);
        var start = errors.Count;
        var report = new Report
        {
            IdempotencyKey = form.IdempotencyKey ?? "",
            UnitCode = form.Unit ?? "",
            ProgrammeId = programme.Id,
            Period = form.Period ?? "",
            ReportedAt = Timestamp.FromDateTimeOffset(now),
            SourceSystem = Source,
        };
        if (form.Values is not { Count: > 0 })
        {
            errors.Add(new EntryFieldError("form", "Chưa có giá trị nào được nhập hoặc thay đổi.", "No value was entered or changed."));
            return null;
        }

        foreach (var typed in form.Values)
        {
            var element = dataSet.Elements.FirstOrDefault(e => e.Id == typed.Element);
            if (element is null)
            {
                errors.Add(new EntryFieldError("form", $"Biểu mẫu “{dataSet.Name.Vi}” không có ô “{typed.Element}”; hãy tải lại trang.", $"The form “{dataSet.Name.En}” has no field “{typed.Element}”; reload the page."));
                continue;
            }

            if (ValueOf(typed, element, form.Vietnamese, errors) is { } value)
            {
                report.Values.Add(value);
            }
        }

        return errors.Count > start ? null : report;
    }

    private static DataValue? ValueOf(EntryValue typed, DataElement element, bool vietnamese, List<EntryFieldError> errors)
    {
        if (typed.Withdraw)
        {
            return new DataValue { DataElement = element.Id, Withdrawn = new Withdrawal() };
        }

        switch (element.Type)
        {
            case ElementType.Count or ElementType.Stock:
                if (!WrittenNumbers.TryParseWhole(typed.Text ?? "", vietnamese, (long)ReportValidator.MaxNumber, out var number, out var problem))
                {
                    errors.Add(new EntryFieldError(element.Id, problem!.Vi, problem.En));
                    return null;
                }

                return new DataValue { DataElement = element.Id, Number = number };
            case ElementType.Flag:
                if (typed.Flag is not { } flag)
                {
                    errors.Add(new EntryFieldError(element.Id, "Hãy chọn Có hoặc Không.", "Choose Yes or No."));
                    return null;
                }

                return new DataValue { DataElement = element.Id, Flag = flag };
            default:
                var ids = (typed.Entities ?? "").Split(EntitySeparators, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var id in ids)
                {
                    if (id.Length > ReportValidator.MaxEntityIdLength || id.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                    {
                        errors.Add(new EntryFieldError(element.Id,
                            $"Mã “{Clip(id)}” không hợp lệ: mỗi mã dài 1–{ReportValidator.MaxEntityIdLength} ký tự, không có dấu cách; ghi mỗi mã trên một dòng hoặc cách nhau bằng dấu phẩy.",
                            $"The id “{Clip(id)}” is not valid: each id is 1–{ReportValidator.MaxEntityIdLength} characters without spaces; write one id per line or separate them with commas."));
                        return null;
                    }

                    if (!seen.Add(id))
                    {
                        errors.Add(new EntryFieldError(element.Id, $"Mã “{id}” được ghi hai lần; mỗi cơ sở chỉ ghi một lần.", $"The id “{id}” is listed twice; list each establishment once."));
                        return null;
                    }
                }

                if (seen.Count > ReportValidator.MaxEntitiesPerValue)
                {
                    errors.Add(new EntryFieldError(element.Id, $"Tối đa {ReportValidator.MaxEntitiesPerValue} mã trong một ô.", $"At most {ReportValidator.MaxEntitiesPerValue} ids in one field."));
                    return null;
                }

                var value = new DataValue { DataElement = element.Id, Entities = new EntityIds() };
                value.Entities.Ids.AddRange(ids);
                return value;
        }
    }

    private static string Clip(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
