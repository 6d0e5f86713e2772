using System.CommandLine;
using Aggregation.Protos.V1;
using Aggregation.Security;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Aggregation.Cli;

/// <summary>
/// <c>aggregation token</c>: signs an access token with the server's signing-key file, for
/// development and for operators who hold that file; with <c>--from-server</c>, asks the server's
/// Credentials service instead (a tenant admin's token in <c>--token</c>, no key file needed).
/// </summary>
public static class TokenCommands
{
    public static Command Build(Option<string?> tenantOption, Func<ParseResult, (GrpcChannel Channel, Metadata Headers)> connect, Func<RpcException, int> report)
    {
        ArgumentNullException.ThrowIfNull(connect);
        ArgumentNullException.ThrowIfNull(report);
        var roles = new Option<string[]>("--role") { Description = "submitter, viewer, approver, admin or ministry (repeatable)", Required = true, AllowMultipleArgumentsPerToken = true };
        var units = new Option<string[]>("--unit") { Description = "GSO code the token covers, with everything below it (repeatable; default: the whole tenant)" };
        var dataSets = new Option<string[]>("--dataset") { Description = "Data set a submitter may send (repeatable; default: all)" };
        var subject = new Option<string>("--subject") { Description = "Who the token is for (shows in the audit trail)", DefaultValueFactory = _ => Environment.UserName };
        var maxHours = TokenIssuer.DefaultMaxLifetime.TotalHours;
        var hours = new Option<double>("--hours") { Description = $"Lifetime in hours, at most {maxHours:0} ({TokenIssuer.DefaultMaxLifetime.TotalDays:0} days): servers refuse longer-lived tokens (Security:Jwt:MaxLifetime)", DefaultValueFactory = _ => 8 };
        var keyFile = new Option<string>("--key-file") { Description = "The server's signing-key file", DefaultValueFactory = _ => SigningKeyFile.DefaultPath() };
        var fromServer = new Option<bool>("--from-server") { Description = "Have the server issue it (Credentials service; needs an admin token in --token)" };
        var command = new Command("token", "Print a signed access token (pass it as --token or $AGGREGATION_TOKEN, or open the dashboard with #token=…).")
        {
            roles, units, dataSets, subject, hours, keyFile, fromServer,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            Ui.Configure(parse, CliApp.EnglishOption);
            // Refused here rather than printed: a token beyond the servers' default maximum would be
            // refused on every call (and TimeSpan cannot hold some doubles at all).
            if (parse.GetValue(hours) is not (> 0 and var h) || h > maxHours)
            {
                Console.Error.WriteLine(Ui.T(
                    $"--hours phải lớn hơn 0 và không quá {maxHours:0} ({TokenIssuer.DefaultMaxLifetime.TotalDays:0} ngày, mặc định Security:Jwt:MaxLifetime của máy chủ).",
                    $"--hours must be more than 0 and at most {maxHours:0} ({TokenIssuer.DefaultMaxLifetime.TotalDays:0} days, the servers' Security:Jwt:MaxLifetime by default)."));
                return 1;
            }

            if (parse.GetValue(fromServer))
            {
                var (channel, headers) = connect(parse);
                using (channel)
                {
                    var request = new IssueTokenRequest { Subject = parse.GetValue(subject)!, Lifetime = Duration.FromTimeSpan(TimeSpan.FromHours(parse.GetValue(hours))) };
                    request.Roles.AddRange(parse.GetValue(roles)!);
                    request.UnitCodes.AddRange(parse.GetValue(units) ?? []);
                    request.DataSets.AddRange(parse.GetValue(dataSets) ?? []);
                    try
                    {
                        var issued = await new Credentials.CredentialsClient(channel).IssueTokenAsync(request, headers, cancellationToken: cancellationToken);
                        Console.WriteLine(issued.Token);
                        return 0;
                    }
                    catch (RpcException ex)
                    {
                        return report(ex);
                    }
                }
            }

            var granted = parse.GetValue(roles)!;
            var tenant = granted.Contains(Roles.Ministry) ? AccessClaims.AllTenants : parse.GetValue(tenantOption);
            if (string.IsNullOrEmpty(tenant))
            {
                Console.Error.WriteLine(Ui.T("Cần --tenant (mọi vai trò trừ ministry thuộc về một tỉnh).", "--tenant is required (every role but ministry belongs to one tenant)."));
                return 1;
            }

            var path = parse.GetValue(keyFile)!;
            if (!File.Exists(path))
            {
                Console.Error.WriteLine(Ui.T(
                    $"Không có tệp khóa ký ở {path}: hãy khởi động máy chủ một lần (nó tạo tệp; nhật ký khởi động ghi đường dẫn), hoặc chỉ tệp bằng --key-file.",
                    $"No signing-key file at {path}: start the server once (it creates one; its start log names the file), or pass --key-file."));
                return 1;
            }

            try
            {
                var key = SigningKeyFile.Load(path)[0];
                var grant = new AccessGrant(parse.GetValue(subject)!, tenant, granted, parse.GetValue(units), parse.GetValue(dataSets));
                Console.WriteLine(TokenIssuer.Issue(grant, key, TimeSpan.FromHours(parse.GetValue(hours))));
                return 0;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                Console.Error.WriteLine(ex.Message);
                return 1;
            }
        });
        return command;
    }
}
