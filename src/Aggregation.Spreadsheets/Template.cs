using Aggregation.Protos.V1;

namespace Aggregation.Spreadsheets;

/// <summary>
/// The rows of an import template: for each period, the units of the data set's level in force on
/// the period's last day (the day the server reads a code by). A district that no longer exists then
/// (districts ended on 1 July 2025) gives way to the nearest unit above it that does, and a note says so.
/// </summary>
public sealed class Template(ITemplateUnits catalog, Protos.V1.Programme programme, DataSet set, Language language)
{
    public List<IReadOnlyList<string>> Rows { get; } = [];

    /// <summary>Per period: how many units of which area (in the template's language).</summary>
    public List<string> Summary { get; } = [];

    /// <summary>What the officer should know: a unit that no longer exists, and what replaced it (in the template's language).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>The summary and notes in Vietnamese whatever the template's language, for the instructions sheet.</summary>
    private readonly List<string> _summaryVi = [];
    private readonly List<string> _notesVi = [];

    private IEnumerable<DataElement> Elements => set.DataElements.Select(id => programme.DataElements.First(e => e.Id == id));

    /// <summary>Adds the period's rows; returns why it cannot (no unit of the level in force), or null.</summary>
    public async Task<string?> AddPeriodAsync(string code, string period, DateOnly last, CancellationToken cancellationToken)
    {
        var asOf = PeriodDates.Iso(last);
        var found = await catalog.GetUnitAsync(code, asOf, cancellationToken);
        var root = found.Unit;
        if (!InForce(root, asOf))
        {
            var ended = root;
            root = null;
            foreach (var ancestor in found.Ancestors.Where(a => a.Level != "nation"))
            {
                foreach (var candidate in new[] { ancestor.Code, ancestor.SuccessorCode }.Where(c => c.Length > 0))
                {
                    var unit = (await catalog.GetUnitAsync(candidate, asOf, cancellationToken)).Unit;
                    if (InForce(unit, asOf))
                    {
                        root = unit;
                        break;
                    }
                }

                if (root is not null)
                {
                    break;
                }
            }

            var gone = ended.ValidTo.Length > 0 && string.CompareOrdinal(ended.ValidTo, asOf) <= 0;
            var khi = gone ? $"không còn từ ngày {ended.ValidTo}" : $"chưa có trong kỳ {period}";
            var when = language.T(gone ? khi : $"{khi} (có từ ngày {ended.ValidFrom})", gone ? $"no longer exists from {ended.ValidTo}" : $"does not exist yet in {period} (from {ended.ValidFrom})");
            var what = $"{language.T(LevelVi(ended.Level), ended.Level)} {ended.Code} ({ended.Name}) {when}";
            if (root is null)
            {
                return language.T(
                    $"{Capitalized(what)}, và không có đơn vị cấp trên nào của nó có hiệu lực trong kỳ {period}.",
                    $"{what}, and no unit above it is in force in {period}.");
            }

            Notes.Add(language.T(
                $"{Capitalized(what)}: các dòng của kỳ {period} là các {LevelVi(set.Level)} của {root.Name} ({root.Code}) có hiệu lực khi đó.",
                $"{what}: the rows for {period} are the {Plural(set.Level)} of {root.Name} ({root.Code}) in force then."));
            _notesVi.Add($"Lưu ý: {ended.Name} ({ended.Code}) {khi}; các dòng của kỳ {period} là các {LevelVi(set.Level)} của {root.Name} ({root.Code}) có hiệu lực khi đó.");
        }

        var units = root.Level == set.Level ? [root] : await catalog.ListAsync(set.Level, root.Code, asOf, cancellationToken);
        if (units.Count == 0)
        {
            return language.T(
                $"Không có {LevelVi(set.Level)} nào của {root.Name} ({root.Code}) có hiệu lực trong kỳ {period}: bộ số liệu {set.Id} không có dòng nào ở đó.",
                $"No {set.Level} of {root.Name} ({root.Code}) is in force in {period}: the data set {set.Id} has no rows there.");
        }

        foreach (var unit in units)
        {
            Rows.Add([unit.Code, unit.Name, period, .. set.DataElements.Select(_ => "")]);
        }

        Summary.Add($"{period}: {language.Count(units.Count, LevelVi(set.Level), set.Level, Plural(set.Level))} {language.T("của", "of")} {root.Name}");
        _summaryVi.Add($"Kỳ {period}: {units.Count} {LevelVi(set.Level)} của {root.Name}.");
        return null;
    }

    /// <summary>The data set whose elements are the columns.</summary>
    public DataSet DataSet => set;

    public void Write(string path)
    {
        var columns = new List<TemplateColumn>
        {
            new(TemplateLayout.UnitColumn, TemplateLayout.UnitHeading, TemplateColumnKind.Code),
            new(TemplateLayout.NameColumn, TemplateLayout.NameHeading, TemplateColumnKind.Name),
            new(TemplateLayout.PeriodColumn, TemplateLayout.PeriodHeading, TemplateColumnKind.Period),
        };
        columns.AddRange(Elements.Select(e => new TemplateColumn(e.Id, Heading(e), e.Type switch
        {
            "flag" => TemplateColumnKind.Flag,
            "entities" => TemplateColumnKind.Text,
            _ => TemplateColumnKind.Whole,
        })));
        TemplateWriter.Write(path, columns, Rows, Instructions(columns));
    }

    /// <summary>The heading people read: the element's Vietnamese name (its id when it has none).</summary>
    public static string Heading(DataElement element) => element.NameVi.Length > 0 ? element.NameVi : element.Id;

    private List<string> Instructions(List<TemplateColumn> columns)
    {
        var lines = new List<string>
        {
            $"Hướng dẫn điền biểu mẫu: {set.NameVi}",
            $"Chương trình: {programme.NameVi}. Bộ số liệu: {set.Id}.",
            "Mỗi dòng của trang «Báo cáo» là một đơn vị trong một kỳ báo cáo. Điền số liệu vào các cột từ D trở đi. Không sửa cột Mã đơn vị và Kỳ báo cáo; không xóa dòng 2 (dòng ẩn chứa mã các cột, dùng khi nhập).",
            "Số liệu là số nguyên từ 0 trở lên. Dấu chấm tách hàng nghìn, dấu phẩy là dấu thập phân: 1.000 là một nghìn. Có thể gõ số không có dấu tách (1000).",
            $"Cột Có/Không: chọn «{TemplateWriter.Yes}» hoặc «{TemplateWriter.No}» trong danh sách.",
            "Ô để trống là chưa báo cáo (khác với số 0): nếu số liệu bằng 0, ghi 0. Đơn vị không có số liệu trong kỳ: để trống cả dòng; khi nhập, dòng trống được bỏ qua.",
            "Nhập tệp bằng lệnh: aggregation import <tên tệp>.xlsx, hoặc tải tệp lên trang «Nhập bảng tính» (upload.html) của máy chủ. Mọi dòng được kiểm tra trước; nếu có lỗi, không dòng nào được nhập và mỗi lỗi được ghi rõ dòng, cột và cách sửa.",
            "Nếu lưu tệp dưới dạng CSV, mã đơn vị phải giữ số 0 ở đầu (05458, không phải 5458).",
        };
        lines.InsertRange(2, [.. _summaryVi, .. _notesVi]);
        lines.Add("");
        lines.Add("Các cột:");
        lines.AddRange(columns.Select((c, i) => $"{SpreadsheetRows.ColumnName(i)} — {c.Heading} (mã cột: {c.Id}): " + c.Kind switch
        {
            TemplateColumnKind.Code => "mã đơn vị hành chính, không sửa.",
            TemplateColumnKind.Name => "tên đơn vị, để đọc.",
            TemplateColumnKind.Period => "kỳ báo cáo (2025-03 là tháng 3 năm 2025), không sửa.",
            TemplateColumnKind.Flag => $"{TemplateWriter.Yes} hoặc {TemplateWriter.No}.",
            TemplateColumnKind.Text => "mã các cơ sở, cách nhau bằng dấu phẩy.",
            _ => "số nguyên từ 0 trở lên.",
        }));
        return lines;
    }

    private static string LevelVi(string level) => level switch
    {
        "commune" => "đơn vị cấp xã",
        "district" => "đơn vị cấp huyện",
        "province" => "đơn vị cấp tỉnh",
        "agency" => "cơ quan",
        "nation" => "quốc gia",
        _ => level,
    };

    /// <summary>"communes", "agencies".</summary>
    private static string Plural(string level) => level.EndsWith('y') ? level[..^1] + "ies" : level + "s";

    /// <summary>The sentence with its first letter a capital ("Đơn vị cấp huyện 164 …").</summary>
    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static bool InForce(Unit unit, string day) =>
        (unit.ValidFrom.Length == 0 || string.CompareOrdinal(unit.ValidFrom, day) <= 0) && (unit.ValidTo.Length == 0 || string.CompareOrdinal(day, unit.ValidTo) < 0);
}

/// <summary>Where a template finds its units: the server's catalog, over gRPC for the command line or in the server itself for the upload page.</summary>
public interface ITemplateUnits
{
    /// <summary>The unit a code names on a day (or the latest it named), with its ancestors; refuses an unknown code in the caller's own way.</summary>
    Task<GetUnitResponse> GetUnitAsync(string code, string asOf, CancellationToken cancellationToken);

    /// <summary>The units of a level under an ancestor in force on a day, by code.</summary>
    Task<IReadOnlyList<Unit>> ListAsync(string level, string ancestorCode, string asOf, CancellationToken cancellationToken);
}
