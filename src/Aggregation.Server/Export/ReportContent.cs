using System.Globalization;
using Aggregation.Periods;
using Aggregation.Protos.V1;

namespace Aggregation.Server.Export;

/// <summary>
/// What the 6-monthly or annual report says, whatever it is written as (.docx or .xlsx): the
/// letterhead, the title, the unit's targets, its child units one row each (districts, or communes
/// once districts no longer exist) and the reports received.
/// </summary>
public sealed class ReportContent
{
    /// <summary>
    /// At most this many targets side by side in the units table: on A4 landscape each target column
    /// keeps about 2 cm at 10 pt, enough for "Đúng tiến độ" in two lines. More targets continue in a
    /// second table with the same rows.
    /// </summary>
    public const int TargetsPerUnitTable = 8;

    public ReportContent(ReportLetterhead letterhead, Protos.V1.Programme programme, Period period, UnitRollup unit, IReadOnlyList<UnitRollup> children, DateTimeOffset produced)
    {
        ArgumentNullException.ThrowIfNull(letterhead);
        ArgumentNullException.ThrowIfNull(programme);
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(children);
        Letterhead = letterhead;
        Programme = programme;
        Period = period;
        Unit = unit;
        Children = children;
        Produced = produced;
        var applying = unit.Indicators.Select(i => i.IndicatorId)
            .Where(id => children.Any(c => c.Indicators.Any(i => i.IndicatorId == id)))
            .ToList();
        UnitTables = [.. applying.Chunk(TargetsPerUnitTable).Select(c => (IReadOnlyList<string>)c)];
    }

    public ReportLetterhead Letterhead { get; }

    public Protos.V1.Programme Programme { get; }

    public Period Period { get; }

    public UnitRollup Unit { get; }

    public IReadOnlyList<UnitRollup> Children { get; }

    public DateTimeOffset Produced { get; }

    /// <summary>The targets measured for the child units, in the plan's order, a table's worth each.</summary>
    public IReadOnlyList<IReadOnlyList<string>> UnitTables { get; }

    /// <summary>The document's subject line, under "BÁO CÁO".</summary>
    public string Subject =>
        $"Kết quả thực hiện {Programme.NameVi} trong {ReportText.PeriodPhrase(Period)}{(Unit.Unit.Level == "province" ? "" : $" trên địa bàn {Unit.Unit.Name}")}";

    /// <summary>The figures' time in Vietnam time, zone named.</summary>
    public string ProducedText
    {
        get
        {
            var local = Produced.ToOffset(Hosting.ReportingClock.VietnamOffset);
            return $"{local.ToString("HH:mm", CultureInfo.InvariantCulture)} ngày {local.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture)} (giờ Việt Nam, UTC+7)";
        }
    }

    public string ChildLevels => string.Join(", ", Children.Select(c => c.Unit.Level).Distinct().Select(l => ReportText.LevelLabel(l).ToLowerInvariant()));

    /// <summary>The child units grouped by level, each group with a heading when the period saw more than one structure.</summary>
    public IReadOnlyList<(string? Heading, IReadOnlyList<UnitRollup> Units)> ChildGroups
    {
        get
        {
            var groups = Children.GroupBy(c => c.Unit.Level).Select(g => (Level: g.Key, Units: (IReadOnlyList<UnitRollup>)[.. g])).ToList();
            return [.. groups.Select(g =>
            {
                var span = Span(g.Units);
                return (groups.Count > 1 || span.Length > 0 ? $"{ReportText.LevelLabel(g.Level)} ({g.Units.Count} đơn vị{span})" : null, g.Units);
            })];
        }
    }

    /// <summary>Why the rows are communes, or two kinds of unit: the reorganisation of 1 July 2025.</summary>
    public string? ReorganisationNote
    {
        get
        {
            var communes = Children.Where(c => c.Unit.Level == "commune").ToList();
            if (Unit.Unit.Level != "province" || communes.Count == 0)
            {
                return null;
            }

            var from = communes.Select(c => Day(c.Unit.ValidFrom)).Where(d => d is not null).Select(d => d!.Value).DefaultIfEmpty(Period.Start).Min();
            var text = $"Từ ngày {ReportText.Date(from)} không còn đơn vị hành chính cấp huyện; các xã, phường trực thuộc tỉnh, mỗi đơn vị một dòng trong bảng dưới. Các chỉ tiêu đo theo cấp huyện không có số liệu cho thời gian từ ngày đó.";
            if (Children.Any(c => c.Unit.Level == "district"))
            {
                text += " Mỗi đơn vị được tính cho phần kỳ báo cáo mà đơn vị đó tồn tại.";
            }

            return text;
        }
    }

    /// <summary>
    /// Whether the figures are approved, in one sentence above them: "Số liệu tạm thời, chưa được phê
    /// duyệt" while any data set the unit's area reported lacks an approval in force, otherwise the
    /// lowest level they are approved at. Null when the period has no reports to approve.
    /// </summary>
    public string? ApprovalNote
    {
        get
        {
            // Only the data sets with reports in the period: the others have nothing to approve.
            var reported = Unit.Completeness.Where(c => c.Reported > 0).Select(c => c.DataSet).ToHashSet(StringComparer.Ordinal);
            var approvals = Unit.Approvals.Where(a => reported.Contains(a.DataSet)).ToList();
            if (approvals.Count == 0)
            {
                return null;
            }

            if (approvals.Any(a => a.Level == ApprovalLevel.Unspecified))
            {
                return ProvisionalNote;
            }

            return approvals.All(a => a.Level == ApprovalLevel.Province)
                ? "Số liệu đã được cấp tỉnh phê duyệt."
                : "Số liệu đã được cấp huyện phê duyệt, chưa được cấp tỉnh phê duyệt.";
        }
    }

    /// <summary>The mark of figures not approved, as the officials read it in the report.</summary>
    public const string ProvisionalNote = "Số liệu tạm thời, chưa được phê duyệt.";

    /// <summary>How many targets stand in each assessment, in words.</summary>
    public string Summary
    {
        get
        {
            var all = Unit.Indicators;
            var parts = new List<string>();
            void Add(int count, string label)
            {
                if (count > 0)
                {
                    parts.Add($"{count} {label}");
                }
            }

            Add(all.Count(i => i.Status == IndicatorStatus.Met), "chỉ tiêu đạt");
            Add(all.Count(i => i.Status == IndicatorStatus.OnTrack), "chỉ tiêu đúng tiến độ");
            Add(all.Count(i => i.Status == IndicatorStatus.OffTrack), "chỉ tiêu chưa đạt");
            Add(all.Count(i => i.Status == IndicatorStatus.DataToCheck), "chỉ tiêu cần kiểm tra lại số liệu (kết quả vượt 100 %)");
            Add(all.Count(i => i.Status == IndicatorStatus.NoTarget), "chỉ tiêu không đặt mục tiêu về tỷ lệ");
            Add(all.Count(i => i.Status is IndicatorStatus.NoData or IndicatorStatus.Unspecified), "chỉ tiêu chưa có số liệu");
            return $"Trong {all.Count} chỉ tiêu của Kế hoạch: {string.Join("; ", parts)}.";
        }
    }

    public static IndicatorValue? Figure(UnitRollup unit, string indicatorId) =>
        unit.Indicators.FirstOrDefault(i => i.IndicatorId == indicatorId);

    private string Span(IReadOnlyList<UnitRollup> units)
    {
        var ends = units.Select(u => Day(u.Unit.ValidTo)).ToList();
        if (ends.All(e => e is { } end && end < Period.End))
        {
            return $", đến ngày {ReportText.Date(ends.Max()!.Value.AddDays(-1))}";
        }

        var starts = units.Select(u => Day(u.Unit.ValidFrom)).ToList();
        return starts.All(s => s is { } start && start > Period.Start) ? $", từ ngày {ReportText.Date(starts.Min()!.Value)}" : "";
    }

    private static DateOnly? Day(string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;
}
