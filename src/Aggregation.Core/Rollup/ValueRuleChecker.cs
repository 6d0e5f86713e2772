using Aggregation.Programmes;

namespace Aggregation.Rollup;

// The programme's value rules (lesser ≤ greater in one unit and period), checked against the values a
// report would leave in force. Kept apart from the slot store and the cells because it only reads, and
// is what decides whether a report is rejected; its messages are what a reporter sees.
internal static class ValueRuleChecker
{
    /// <summary>Adds an error, on the report's field that broke it, for every rule the report would break.</summary>
    public static void Check(
        Programme programme,
        SlotStore slots,
        ReportCommand report,
        List<(DataElement Element, int BaseIndex, ValueSlot Slot)> pending,
        Dictionary<(int Element, int Period), ValueSlot>? overlay,
        List<FieldError> errors)
    {
        if (programme.Rules.Count == 0 || pending.Count == 0)
        {
            return;
        }

        var baseIndex = pending[0].BaseIndex;
        foreach (var rule in programme.Rules)
        {
            if (!Touches(pending, rule.Lesser) && !Touches(pending, rule.Greater))
            {
                continue;
            }

            var lesser = After(rule.Lesser, pending, slots, baseIndex, overlay);
            var greater = After(rule.Greater, pending, slots, baseIndex, overlay);
            if (lesser is { HasValue: true } && greater is { HasValue: true } && lesser.Number > greater.Number)
            {
                var blamed = Touches(pending, rule.Lesser) ? rule.Lesser : rule.Greater;
                var index = report.Values.ToList().FindIndex(v => v.Element == blamed.Id);
                var field = blamed.Type == ElementType.Entities ? $"values[{index}].entities" : $"values[{index}].number";
                errors.Add(new FieldError(
                    field,
                    $"{rule.Lesser.Id} ({lesser.Number}) may not exceed {rule.Greater.Id} ({greater.Number}) for the same unit and period (rule {rule.Id})",
                    $"“{rule.Lesser.Name.Vi ?? rule.Lesser.Id}” ({Vietnamese(lesser.Number)}) không được lớn hơn “{rule.Greater.Name.Vi ?? rule.Greater.Id}” ({Vietnamese(greater.Number)}) của cùng đơn vị, cùng kỳ báo cáo."));
            }
        }
    }

    /// <summary>A count as Vietnamese write it: <c>1.000</c>.</summary>
    private static string Vietnamese(long number) => number.ToString("#,##0", VietnameseDigits);

    private static readonly System.Globalization.NumberFormatInfo VietnameseDigits = new() { NumberGroupSeparator = ".", NumberDecimalSeparator = "," };

    private static bool Touches(List<(DataElement Element, int BaseIndex, ValueSlot Slot)> pending, DataElement element)
    {
        foreach (var p in pending)
        {
            if (p.Element == element)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The element's value once the report is written: the report's own, else the one held.</summary>
    private static ValueSlot? After(
        DataElement element,
        List<(DataElement Element, int BaseIndex, ValueSlot Slot)> pending,
        SlotStore slots,
        int baseIndex,
        Dictionary<(int Element, int Period), ValueSlot>? overlay)
    {
        foreach (var p in pending)
        {
            if (p.Element == element)
            {
                return p.Slot;
            }
        }

        return slots.Held(element, baseIndex, overlay);
    }
}
