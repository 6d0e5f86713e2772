namespace Aggregation.Spreadsheets;

/// <summary>The fixed columns of every import file and template, by the id the import reads and the heading people read.</summary>
public static class TemplateLayout
{
    public const string UnitColumn = "unit_code";
    public const string PeriodColumn = "period";
    public const string NameColumn = "unit_name";

    /// <summary>The headings of the templates' first three columns (the elements' headings are their Vietnamese names).</summary>
    public const string UnitHeading = "Mã đơn vị";
    public const string NameHeading = "Tên đơn vị";
    public const string PeriodHeading = "Kỳ báo cáo";
}
