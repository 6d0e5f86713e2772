using System.CommandLine;
using Aggregation.Protos.V1;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary>
/// <c>aggregation approve</c>, <c>withdraw-approval</c> and <c>approvals</c>: sign-off of a unit's
/// figures of a data set for a period, its withdrawal with a reason, and the list (approvers and admins
/// approve; readers list).
/// </summary>
internal static class ApprovalsCommands
{
    public static IEnumerable<Command> Build()
    {
        yield return Approve();
        yield return Withdraw();
        yield return List();
    }

    private static Command Approve()
    {
        var unit = new Option<string>("--unit") { Description = "GSO code of the commune, district or province whose figures are approved", Required = true };
        var dataSet = new Option<string>("--dataset") { Description = "Data set id (see `programmes`)", Required = true };
        var period = new Option<string>("--period") { Description = "Period at or above the data set's frequency: 2025-03, 2025Q1, 2025S1, 2025", Required = true };
        var level = new Option<string>("--level") { Description = "district or province: the level of the approving authority", Required = true };
        level.AcceptOnlyFromAmong("district", "province");
        var comment = new Option<string>("--comment") { Description = "What was checked (kept with the approval)", DefaultValueFactory = _ => "" };
        var command = new Command("approve", "Approve a unit's figures of a data set for a period; approved figures refuse changes until the approval is withdrawn.")
        {
            unit, dataSet, period, level, comment,
        };
        command.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            using var channel = CliApp.Channel(parse);
            var request = new ApproveRequest
            {
                ProgrammeId = parse.GetValue(CliApp.ProgrammeOption)!,
                UnitCode = parse.GetValue(unit)!,
                DataSet = parse.GetValue(dataSet)!,
                Period = parse.GetValue(period)!,
                Level = parse.GetValue(level) == "province" ? ApprovalLevel.Province : ApprovalLevel.District,
                Comment = parse.GetValue(comment)!,
            };
            var approval = (await new Approvals.ApprovalsClient(channel).ApproveAsync(request, CliApp.Headers(parse), cancellationToken: ct)).Approval;
            Ui.Out.MarkupLine(Markup.Escape(Ui.T(
                $"Đã phê duyệt cấp {LevelVi(approval.Level)} số liệu {approval.DataSet} của {approval.UnitCode} kỳ {approval.Period} (số {approval.Id}, lúc {Ui.Time(approval.ApprovedAt)}). Số liệu này bị khóa cho đến khi phê duyệt được rút.",
                $"Approved at {LevelEn(approval.Level)} level: {approval.DataSet} of {approval.UnitCode} for {approval.Period} (approval {approval.Id}, {Ui.Time(approval.ApprovedAt)}). These figures are locked until the approval is withdrawn.")));
            return 0;
        }));
        return command;
    }

    private static Command Withdraw()
    {
        var id = new Option<long>("--id") { Description = "Approval number (see `approvals`)", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why the approval is withdrawn (required, kept in the audit trail)", Required = true };
        var command = new Command("withdraw-approval", "Withdraw an approval, with a reason, so its figures can be corrected.") { id, reason };
        command.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            using var channel = CliApp.Channel(parse);
            var approval = (await new Approvals.ApprovalsClient(channel).WithdrawApprovalAsync(new WithdrawApprovalRequest { ApprovalId = parse.GetValue(id), Reason = parse.GetValue(reason)! }, CliApp.Headers(parse), cancellationToken: ct)).Approval;
            Ui.Out.MarkupLine(Markup.Escape(Ui.T(
                $"Đã rút phê duyệt số {approval.Id} ({approval.DataSet} của {approval.UnitCode} kỳ {approval.Period}). Số liệu có thể được sửa lại.",
                $"Approval {approval.Id} withdrawn ({approval.DataSet} of {approval.UnitCode} for {approval.Period}). The figures can be corrected again.")));
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var unit = new Option<string>("--unit") { Description = "GSO code of the unit", Required = true };
        var period = new Option<string>("--period") { Description = "Only approvals overlapping this period (default: all)", DefaultValueFactory = _ => "" };
        var children = new Option<bool>("--children") { Description = "Include the approvals of the units below" };
        var withdrawn = new Option<bool>("--withdrawn") { Description = "Include withdrawn approvals" };
        var output = Listing.Option();
        var command = new Command("approvals", "Approvals of a unit (and the units below it), newest first.") { unit, period, children, withdrawn, output };
        command.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            using var channel = CliApp.Channel(parse);
            var request = new ListApprovalsRequest
            {
                ProgrammeId = parse.GetValue(CliApp.ProgrammeOption)!,
                UnitCode = parse.GetValue(unit)!,
                Period = parse.GetValue(period)!,
                IncludeChildren = parse.GetValue(children),
                IncludeWithdrawn = parse.GetValue(withdrawn),
            };
            var response = await new Approvals.ApprovalsClient(channel).ListApprovalsAsync(request, CliApp.Headers(parse), cancellationToken: ct);
            var listing = new Listing(
                new ListColumn("id", "số", "id"),
                new ListColumn("unit_code", "đơn vị", "unit"),
                new ListColumn("data_set", "bộ số liệu", "data set"),
                new ListColumn("period", "kỳ", "period"),
                new ListColumn("level", "cấp", "level"),
                new ListColumn("approved_by", "người phê duyệt", "approved by"),
                new ListColumn("approved_at", "lúc", "at"),
                new ListColumn("comment", "nhận xét", "comment") { Wrap = true },
                new ListColumn("withdrawn", "đã rút", "withdrawn") { Wrap = true });
            foreach (var a in response.Approvals)
            {
                var withdrawal = a.WithdrawnAt is null ? new ListCell("", null)
                    : new ListCell($"{a.WithdrawnBy}, {Ui.Time(a.WithdrawnAt)}: {a.WithdrawalReason}", a.WithdrawalReason, "yellow");
                listing.Add(ListCell.Of(a.Id), a.UnitCode, a.DataSet, a.Period, new ListCell(Ui.T(LevelVi(a.Level), LevelEn(a.Level)), LevelEn(a.Level)), a.ApprovedBy, ListCell.Time(a.ApprovedAt), a.Comment, withdrawal);
            }

            var format = parse.GetValue(output);
            listing.Write(format);
            if (format == OutputFormat.Table)
            {
                Ui.Out.MarkupLine(Markup.Escape(Ui.Count(listing.Count, "phê duyệt", "approval", "approvals") + "."));
            }

            return 0;
        }));
        return command;
    }

    private static string LevelVi(ApprovalLevel level) => level switch
    {
        ApprovalLevel.District => "huyện",
        ApprovalLevel.Province => "tỉnh",
        _ => "chưa phê duyệt",
    };

    private static string LevelEn(ApprovalLevel level) => level switch
    {
        ApprovalLevel.District => "district",
        ApprovalLevel.Province => "province",
        _ => "provisional",
    };
}
