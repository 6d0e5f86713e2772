using System.CommandLine;
using Aggregation.Protos.V1;
using Grpc.Core;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary><c>aggregation watch</c>: a unit's figures as they change, until Ctrl+C, with a point to resume from.</summary>
internal static class WatchCommand
{
    public static Command Build()
    {
        var unit = new Option<string>("--unit") { Description = "GSO code (VN for the nation)", Required = true };
        var periods = new Option<string[]>("--period") { Description = "Period(s) to watch (repeatable)", Required = true };
        var children = new Option<bool>("--children") { Description = "Also watch the unit's direct children" };
        var resume = new Option<long>("--resume") { Description = "Resume point printed when a previous watch stopped: no snapshot if nothing changed since" };
        var command = new Command("watch", "Follow a unit's figures live until Ctrl+C.") { unit, periods, children, resume };
        command.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            using var channel = CliApp.Channel(parse);
            using var call = new Subscriptions.SubscriptionsClient(channel).Subscribe(
                new SubscribeRequest
                {
                    UnitCode = parse.GetValue(unit)!,
                    ProgrammeId = parse.GetValue(CliApp.ProgrammeOption)!,
                    Periods = { parse.GetValue(periods)! },
                    IncludeChildren = parse.GetValue(children),
                    ResumeFromVersion = parse.GetValue(resume),
                },
                CliApp.Headers(parse),
                cancellationToken: ct);
            long last = 0;
            try
            {
                await foreach (var message in call.ResponseStream.ReadAllAsync(ct))
                {
                    var time = Ui.Time(DateTimeOffset.UtcNow);
                    switch (message.ContentCase)
                    {
                        case SubscribeResponse.ContentOneofCase.Confirmation:
                            last = message.Confirmation.Version;
                            Ui.Out.MarkupLineInterpolated($"{time} [bold]{Ui.T("đang theo dõi", "watching")}[/]{(message.Confirmation.Resumed ? Ui.T(" (tiếp tục, không bỏ lỡ gì)", " (resumed, nothing missed)") : "")}");
                            break;
                        case SubscribeResponse.ContentOneofCase.Heartbeat:
                            last = message.Heartbeat.Version;
                            Ui.Out.MarkupLineInterpolated($"{time} [grey]{Ui.T("vẫn kết nối, không có thay đổi", "still connected, no change")}[/]");
                            break;
                        default:
                            var (kind, version, rollups) = message.Snapshot is { } s ? (Ui.T("số liệu hiện tại", "current figures"), s.Version, s.Rollups) : (Ui.T("cập nhật", "update"), message.Update.Version, message.Update.Rollups);
                            last = version;
                            Ui.Out.MarkupLineInterpolated($"{time} [bold]{kind}[/]");
                            foreach (var r in rollups)
                            {
                                var figures = string.Join("  ", r.Indicators.Where(i => i.HasValue).Select(i => $"{i.IndicatorId}={(i.HasDenominator ? Ui.Percent(i.Value) : Ui.Number((long)Math.Round(i.Value)))}"));
                                Ui.Out.MarkupLineInterpolated($"  {r.Unit.Code} {r.Unit.Name} {r.Period}: {figures}");
                            }

                            break;
                    }
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }

            if (last > 0)
            {
                Ui.Error.MarkupLineInterpolated($"[grey]{Ui.T("Để tiếp tục từ đây:", "To resume from here:")} --resume {last}[/]");
            }

            return 0;
        }));
        return command;
    }
}
