using System.Globalization;
using System.Net.Sockets;
using Google.Rpc;
using Grpc.Core;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary>
/// One message per error, in the run's language where the CLI knows what happened: a server that
/// cannot be reached (naming the address tried), an authentication failure (no token, expired,
/// signed with a key the server does not know), or the server's own explanation with each
/// offending field once. Never the token.
/// </summary>
public static class ErrorMessages
{
    /// <summary>The domain of the server's <c>google.rpc.ErrorInfo</c> on authentication failures.</summary>
    public const string Domain = "aggregation";

    /// <summary>Spectre markup for <paramref name="ex"/>.</summary>
    public static string Describe(RpcException ex, bool sentToken)
    {
        ArgumentNullException.ThrowIfNull(ex);
        if (ex.StatusCode == StatusCode.Unauthenticated)
        {
            return Authentication(ex, sentToken);
        }

        if (ex.StatusCode == StatusCode.Unavailable && ex.Status.DebugException is { } cause)
        {
            return Unreachable(cause);
        }

        var status = ex.GetRpcStatus();
        var violations = status?.GetDetail<BadRequest>()?.FieldViolations ?? [];
        // The server's own Vietnamese sentence when it sends one (google.rpc.LocalizedMessage).
        var vietnamese = Ui.English ? null : status?.GetDetail<LocalizedMessage>()?.Message;
        var headline = vietnamese ?? Headline(ex.Status.Detail, violations);
        var lines = new List<string> { $"[red]{Markup.Escape(Label(ex.StatusCode))}[/]: {Markup.Escape(headline)}" };
        lines.AddRange(violations.Select(v => $"  [yellow]{Markup.Escape(v.Field)}[/]: {Markup.Escape(!Ui.English && v.LocalizedMessage is { Message.Length: > 0 } l ? l.Message : v.Description)}"));
        lines.AddRange((status?.GetDetail<PreconditionFailure>()?.Violations ?? []).Where(v => v.Type != "MISSING").Select(v => $"  [yellow]{Markup.Escape(v.Subject)}[/]: {Markup.Escape(v.Description)}"));
        if (status?.GetDetail<RetryInfo>()?.RetryDelay is { } delay)
        {
            lines.Add(Markup.Escape(Ui.T($"Thử lại sau {delay.ToTimeSpan().TotalSeconds:0} giây.", $"Try again in {delay.ToTimeSpan().TotalSeconds:0} s.")));
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static string Authentication(RpcException ex, bool sentToken)
    {
        var info = ex.GetRpcStatus()?.GetDetail<ErrorInfo>();
        var reason = info?.Domain == Domain ? info.Reason : sentToken ? "" : "TOKEN_MISSING";
        var howToGet = Ui.T(
            "Lấy mã bằng `aggregation token --tenant <tỉnh> --role viewer` trên máy của máy chủ (cần tệp khóa ký của máy chủ), hoặc xin quản trị viên của tỉnh (`aggregation token --from-server`), rồi truyền bằng --token hoặc biến môi trường AGGREGATION_TOKEN.",
            "Get one with `aggregation token --tenant <tenant> --role viewer` on the server's machine (it needs the server's signing-key file), or from your tenant's administrator (`aggregation token --from-server`), and pass it with --token or in the AGGREGATION_TOKEN environment variable.");
        var message = reason switch
        {
            "TOKEN_MISSING" => Ui.T("Chưa có mã truy cập (token): máy chủ yêu cầu mã cho mọi lệnh. ", "No access token: the server needs one for every call. ") + howToGet,
            "TOKEN_EXPIRED" => (info!.Metadata.TryGetValue("expired_at", out var at) && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expired)
                ? Ui.T($"Mã truy cập đã hết hạn lúc {Ui.Time(expired)}. ", $"The access token expired at {Ui.Time(expired)}. ")
                : Ui.T("Mã truy cập đã hết hạn. ", "The access token has expired. ")) + Ui.T("Hãy lấy mã mới. ", "Get a new one. ") + howToGet,
            "UNKNOWN_SIGNING_KEY" => (info!.Metadata.TryGetValue("kid", out var kid) && kid.Length > 0
                ? Ui.T($"Mã truy cập được ký bằng khóa '{kid}' mà máy chủ {Ui.ServerAddress} không biết", $"The access token is signed with key '{kid}', which the server at {Ui.ServerAddress} does not know")
                : Ui.T($"Mã truy cập không nêu khóa ký nào mà máy chủ {Ui.ServerAddress} biết", $"The access token names no signing key the server at {Ui.ServerAddress} knows"))
                + Ui.T(": mã được cấp cho máy chủ khác, hoặc khóa đã được thay. Hãy lấy mã mới cho máy chủ này. ", ": it was issued for another server, or the key was rotated. Get a new token for this server. ") + howToGet,
            _ => Ui.English ? ex.Status.Detail : "Máy chủ không chấp nhận mã truy cập: " + ex.Status.Detail,
        };
        return $"[red]{Markup.Escape(Ui.T("Chưa xác thực", "Not authenticated"))}[/]: {Markup.Escape(message)}";
    }

    private static string Unreachable(Exception cause)
    {
        var socket = Inner<SocketException>(cause);
        var why = socket?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => Ui.T("không có máy chủ nào nghe ở địa chỉ đó", "nothing is listening there"),
            SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => Ui.T("không tìm thấy tên máy", "the host name is unknown"),
            SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkUnreachable => Ui.T("không có đường mạng tới máy đó", "the host cannot be reached on the network"),
            _ => Ui.T("lỗi kết nối", "connection error") + (socket is null ? "" : $": {socket.SocketErrorCode}"),
        };
        return $"[red]{Markup.Escape(Ui.T("Không kết nối được", "Cannot connect"))}[/]: " + Markup.Escape(Ui.T(
            $"máy chủ {Ui.ServerAddress} ({why}). Hãy kiểm tra máy chủ đang chạy, hoặc chỉ đúng địa chỉ bằng --server hoặc biến môi trường AGGREGATION_SERVER.",
            $"the server at {Ui.ServerAddress} ({why}). Check that it is running, or give its address with --server or the AGGREGATION_SERVER environment variable."));
    }

    /// <summary>The server's message without the list of violations it ends with (they are printed one per line).</summary>
    private static string Headline(string detail, IEnumerable<BadRequest.Types.FieldViolation> violations)
    {
        var first = violations.FirstOrDefault();
        if (first is null)
        {
            return detail;
        }

        var at = detail.IndexOf($": {first.Field}: ", StringComparison.Ordinal);
        return at > 0 ? detail[..at] + ":" : Ui.T("Yêu cầu bị từ chối:", "The request was refused:");
    }

    private static string Label(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument => Ui.T("Dữ liệu không hợp lệ", "Invalid"),
        StatusCode.AlreadyExists => Ui.T("Khóa đã được dùng", "Key already used"),
        StatusCode.PermissionDenied => Ui.T("Không có quyền", "Not allowed"),
        StatusCode.NotFound => Ui.T("Không tìm thấy", "Not found"),
        StatusCode.ResourceExhausted => Ui.T("Máy chủ đang bận", "Server busy"),
        StatusCode.FailedPrecondition => Ui.T("Chưa thể thực hiện", "Not possible yet"),
        StatusCode.Unavailable => Ui.T("Máy chủ tạm thời không phục vụ", "Server unavailable"),
        StatusCode.DeadlineExceeded => Ui.T("Hết thời gian chờ", "Timed out"),
        StatusCode.Cancelled => Ui.T("Đã hủy", "Cancelled"),
        _ => Ui.T("Lỗi", "Error"),
    };

    private static T? Inner<T>(Exception? ex)
        where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found)
            {
                return found;
            }
        }

        return null;
    }
}
