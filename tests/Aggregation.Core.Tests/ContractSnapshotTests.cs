using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Aggregation.Tests;

/// <summary>
/// The gRPC contract as compiled (Aggregation.Protos) against the committed snapshot of its descriptors,
/// protos/aggregation/v1.descriptor.json: a client built against the snapshot must keep working.
/// After an intended change, refresh the snapshot (protos/README.md):
/// <c>UPDATE_CONTRACT_SNAPSHOT=1 dotnet test tests/Aggregation.Core.Tests --filter FullyQualifiedName~ContractSnapshotTests</c>.
/// </summary>
public class ContractSnapshotTests
{
    private const string SnapshotFile = "v1.descriptor.json";

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithIndentation().WithPreserveProtoFieldNames(true));

    [Fact]
    public void The_compiled_contract_breaks_nothing_in_the_committed_snapshot()
    {
        var compiled = Compiled();
        if (Environment.GetEnvironmentVariable("UPDATE_CONTRACT_SNAPSHOT") == "1")
        {
            // Accepting a contract change is a person's decision, made on a working copy and committed.
            Assert.True(Environment.GetEnvironmentVariable("CI") is null, "UPDATE_CONTRACT_SNAPSHOT is for a working copy, not for CI.");
            File.WriteAllText(SourceSnapshotPath(), Formatter.Format(compiled) + "\n");
            return;
        }

        var breaks = ContractCompatibility.Breaks(Committed(), compiled);

        Assert.True(breaks.Count == 0, "The contract breaks clients built against protos/aggregation/v1.descriptor.json:\n  " + string.Join("\n  ", breaks)
            + "\nAdd instead of changing (a new field, value or RPC), or reserve what goes. If the break is intended, refresh the snapshot (protos/README.md).");
    }

    [Theory]
    [InlineData("a field removed", "field .aggregation.v1.Delivery.idempotency_key (1) removed without reserving its number and name")]
    [InlineData("a field renumbered", "field .aggregation.v1.Delivery.revision renumbered from 5 to 15")]
    [InlineData("a field's type changed", "field .aggregation.v1.Delivery.revision (5) changed type from int32 to int64")]
    [InlineData("a singular field made repeated", "field .aggregation.v1.Delivery.revision (5) changed type from int32 to repeated int32")]
    [InlineData("a field's message type changed", "field .aggregation.v1.Delivery.created_at (8) changed type from .google.protobuf.Timestamp to .google.protobuf.Duration")]
    [InlineData("a field renamed", "field .aggregation.v1.Delivery.unit_code (3) renamed to unit")]
    [InlineData("a reservation taken back", "message .aggregation.v1.Delivery: reserved numbers 6 to 6 no longer reserved")]
    [InlineData("a message removed", "message .aggregation.v1.ResendDeliveryResponse removed")]
    [InlineData("an enum value removed", "enum value .aggregation.v1.DeliveryStatus.DELIVERY_STATUS_FAILED (3) removed without reserving its number and name")]
    [InlineData("an enum value renumbered", "enum value .aggregation.v1.DeliveryStatus.DELIVERY_STATUS_FAILED renumbered from 3 to 9")]
    [InlineData("an rpc removed", "rpc .aggregation.v1.Reporting.ResendDelivery removed")]
    [InlineData("an rpc's request type changed", "rpc .aggregation.v1.Reporting.ListDeliveries changed from (.aggregation.v1.ListDeliveriesRequest) returns (.aggregation.v1.ListDeliveriesResponse) to (.aggregation.v1.ProduceReportsRequest) returns (.aggregation.v1.ListDeliveriesResponse)")]
    [InlineData("an rpc's response type changed", "rpc .aggregation.v1.Reporting.ProduceReports changed from (.aggregation.v1.ProduceReportsRequest) returns (.aggregation.v1.ProduceReportsResponse) to (.aggregation.v1.ProduceReportsRequest) returns (.aggregation.v1.ResendDeliveryResponse)")]
    [InlineData("an rpc made streaming", "rpc .aggregation.v1.Reporting.ListDeliveries changed from (.aggregation.v1.ListDeliveriesRequest) returns (.aggregation.v1.ListDeliveriesResponse) to (.aggregation.v1.ListDeliveriesRequest) returns (stream .aggregation.v1.ListDeliveriesResponse)")]
    [InlineData("a service removed", "service .aggregation.v1.Reporting removed")]
    public void A_breaking_change_to_the_snapshot_is_reported_by_name(string change, string reported)
    {
        var committed = Committed();

        var breaks = ContractCompatibility.Breaks(committed, Changed(committed, change));

        Assert.Contains(reported, breaks);
    }

    [Theory]
    [InlineData("a field added")]
    [InlineData("a field removed with its number and name reserved")]
    [InlineData("an enum value added")]
    [InlineData("an enum value removed with its number and name reserved")]
    [InlineData("a message added")]
    [InlineData("an rpc added")]
    [InlineData("a service added")]
    public void An_addition_to_the_snapshot_breaks_nothing(string change)
    {
        var committed = Committed();

        Assert.Empty(ContractCompatibility.Breaks(committed, Changed(committed, change)));
    }

    /// <summary>The descriptors compiled into Aggregation.Protos: one <c>*Reflection.Descriptor</c> per proto file.</summary>
    private static FileDescriptorSet Compiled()
    {
        var files = typeof(Protos.V1.Delivery).Assembly.GetExportedTypes()
            .Where(t => t.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(t => t.GetProperty("Descriptor")?.GetValue(null))
            .OfType<FileDescriptor>()
            .OrderBy(f => f.Name, StringComparer.Ordinal);
        return new FileDescriptorSet { File = { files.Select(f => f.ToProto()) } };
    }

    private static FileDescriptorSet Committed() =>
        JsonParser.Default.Parse<FileDescriptorSet>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "contract", SnapshotFile)));

    private static string SourceSnapshotPath()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Aggregation.sln")))
        {
            directory = directory.Parent;
        }

        return directory is null
            ? throw new InvalidOperationException($"No Aggregation.sln above {AppContext.BaseDirectory}: run the update from the repository's working copy.")
            : Path.Combine(directory.FullName, "protos", "aggregation", SnapshotFile);
    }

    /// <summary>A copy of the snapshot with one change, as someone might make it to reporting.proto.</summary>
    private static FileDescriptorSet Changed(FileDescriptorSet snapshot, string change)
    {
        var set = snapshot.Clone();
        var file = set.File.Single(f => f.Name == "aggregation/v1/reporting.proto");
        var delivery = file.MessageType.Single(m => m.Name == "Delivery");
        var status = file.EnumType.Single(e => e.Name == "DeliveryStatus");
        var reporting = file.Service.Single(s => s.Name == "Reporting");
        FieldDescriptorProto Field(string name) => delivery.Field.Single(f => f.Name == name);
        MethodDescriptorProto Rpc(string name) => reporting.Method.Single(m => m.Name == name);
        switch (change)
        {
            case "a field removed":
                delivery.Field.Remove(Field("idempotency_key"));
                break;
            case "a field renumbered":
                Field("revision").Number = 15;
                break;
            case "a field's type changed":
                Field("revision").Type = FieldDescriptorProto.Types.Type.Int64;
                break;
            case "a singular field made repeated":
                Field("revision").Label = FieldDescriptorProto.Types.Label.Repeated;
                break;
            case "a field's message type changed":
                Field("created_at").TypeName = ".google.protobuf.Duration";
                break;
            case "a field renamed":
                Field("unit_code").Name = "unit";
                break;
            case "a reservation taken back":
                delivery.ReservedRange.Remove(delivery.ReservedRange.Single(r => r.Start == 6));
                break;
            case "a message removed":
                file.MessageType.Remove(file.MessageType.Single(m => m.Name == "ResendDeliveryResponse"));
                break;
            case "an enum value removed":
                status.Value.Remove(status.Value.Single(v => v.Name == "DELIVERY_STATUS_FAILED"));
                break;
            case "an enum value renumbered":
                status.Value.Single(v => v.Name == "DELIVERY_STATUS_FAILED").Number = 9;
                break;
            case "an rpc removed":
                reporting.Method.Remove(Rpc("ResendDelivery"));
                break;
            case "an rpc's request type changed":
                Rpc("ListDeliveries").InputType = ".aggregation.v1.ProduceReportsRequest";
                break;
            case "an rpc's response type changed":
                Rpc("ProduceReports").OutputType = ".aggregation.v1.ResendDeliveryResponse";
                break;
            case "an rpc made streaming":
                Rpc("ListDeliveries").ServerStreaming = true;
                break;
            case "a service removed":
                file.Service.Remove(reporting);
                break;
            case "a field added":
                delivery.Field.Add(new FieldDescriptorProto { Name = "retry_after", Number = 15, Type = FieldDescriptorProto.Types.Type.Message, TypeName = ".google.protobuf.Timestamp", Label = FieldDescriptorProto.Types.Label.Optional });
                break;
            case "a field removed with its number and name reserved":
                delivery.Field.Remove(Field("last_error"));
                delivery.ReservedRange.Add(new DescriptorProto.Types.ReservedRange { Start = 11, End = 12 });
                delivery.ReservedName.Add("last_error");
                break;
            case "an enum value added":
                status.Value.Add(new EnumValueDescriptorProto { Name = "DELIVERY_STATUS_CANCELLED", Number = 4 });
                break;
            case "an enum value removed with its number and name reserved":
                status.Value.Remove(status.Value.Single(v => v.Name == "DELIVERY_STATUS_FAILED"));
                status.ReservedRange.Add(new EnumDescriptorProto.Types.EnumReservedRange { Start = 3, End = 3 });
                status.ReservedName.Add("DELIVERY_STATUS_FAILED");
                break;
            case "a message added":
                file.MessageType.Add(new DescriptorProto { Name = "CancelDeliveryRequest" });
                break;
            case "an rpc added":
                reporting.Method.Add(new MethodDescriptorProto { Name = "CancelDelivery", InputType = ".aggregation.v1.ResendDeliveryRequest", OutputType = ".aggregation.v1.ResendDeliveryResponse" });
                break;
            case "a service added":
                file.Service.Add(new ServiceDescriptorProto { Name = "Receipts" });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(change), change, "No such change.");
        }

        return set;
    }
}
