using Google.Protobuf.Reflection;

namespace Aggregation.Tests;

/// <summary>
/// What a new version of the gRPC contract breaks for clients and servers built against an older one.
/// Additions (messages, fields, enum values, RPCs) break nothing. A field or enum value may go only
/// with its number and name reserved, so that neither is reused with another meaning; everything
/// else that is taken away or changes its number, name or type is a break. Names count as well as
/// numbers: the JSON form and the generated code both use them.
/// </summary>
public static class ContractCompatibility
{
    /// <summary>One line per break, naming the element by its full proto name; empty when compatible.</summary>
    public static IReadOnlyList<string> Breaks(FileDescriptorSet before, FileDescriptorSet after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var breaks = new List<string>();
        var (oldMessages, oldEnums, oldServices) = Index(before);
        var (newMessages, newEnums, newServices) = Index(after);

        foreach (var (name, old) in oldMessages)
        {
            if (newMessages.TryGetValue(name, out var now))
            {
                CompareMessage(name, old, now, breaks);
            }
            else
            {
                breaks.Add($"message {name} removed");
            }
        }

        foreach (var (name, old) in oldEnums)
        {
            if (newEnums.TryGetValue(name, out var now))
            {
                CompareEnum(name, old, now, breaks);
            }
            else
            {
                breaks.Add($"enum {name} removed");
            }
        }

        foreach (var (name, old) in oldServices)
        {
            if (newServices.TryGetValue(name, out var now))
            {
                CompareService(name, old, now, breaks);
            }
            else
            {
                breaks.Add($"service {name} removed");
            }
        }

        return breaks;
    }

    private static void CompareMessage(string message, DescriptorProto old, DescriptorProto now, List<string> breaks)
    {
        foreach (var field in old.Field)
        {
            var name = $"{message}.{field.Name}";
            var sameNumber = now.Field.FirstOrDefault(f => f.Number == field.Number);
            if (sameNumber is null)
            {
                if (now.Field.FirstOrDefault(f => f.Name == field.Name) is { } moved)
                {
                    breaks.Add($"field {name} renumbered from {field.Number} to {moved.Number}");
                }
                else if (!IsReserved(now.ReservedRange, field.Number, endExclusive: true) || !now.ReservedName.Contains(field.Name))
                {
                    breaks.Add($"field {name} ({field.Number}) removed without reserving its number and name");
                }

                continue;
            }

            if (sameNumber.Name != field.Name)
            {
                breaks.Add($"field {name} ({field.Number}) renamed to {sameNumber.Name}");
            }

            if (TypeOf(sameNumber) != TypeOf(field))
            {
                breaks.Add($"field {name} ({field.Number}) changed type from {TypeOf(field)} to {TypeOf(sameNumber)}");
            }
        }

        // A reservation taken back lets a later field reuse the number or name with another meaning.
        foreach (var range in old.ReservedRange)
        {
            if (!now.ReservedRange.Any(r => r.Start <= range.Start && range.End <= r.End))
            {
                breaks.Add($"message {message}: reserved numbers {range.Start} to {range.End - 1} no longer reserved");
            }
        }

        foreach (var reserved in old.ReservedName.Except(now.ReservedName))
        {
            breaks.Add($"message {message}: reserved name {reserved} no longer reserved");
        }
    }

    private static void CompareEnum(string enumName, EnumDescriptorProto old, EnumDescriptorProto now, List<string> breaks)
    {
        foreach (var value in old.Value)
        {
            var sameNumber = now.Value.FirstOrDefault(v => v.Number == value.Number);
            if (sameNumber is null)
            {
                if (now.Value.FirstOrDefault(v => v.Name == value.Name) is { } moved)
                {
                    breaks.Add($"enum value {enumName}.{value.Name} renumbered from {value.Number} to {moved.Number}");
                }

                // Enum reserved ranges include their end, unlike message ones.
                else if (!IsReserved(now.ReservedRange.Select(r => (r.Start, r.End)), value.Number, endExclusive: false) || !now.ReservedName.Contains(value.Name))
                {
                    breaks.Add($"enum value {enumName}.{value.Name} ({value.Number}) removed without reserving its number and name");
                }
            }
            else if (sameNumber.Name != value.Name)
            {
                breaks.Add($"enum value {enumName}.{value.Name} ({value.Number}) renamed to {sameNumber.Name}");
            }
        }

        foreach (var range in old.ReservedRange)
        {
            if (!now.ReservedRange.Any(r => r.Start <= range.Start && range.End <= r.End))
            {
                breaks.Add($"enum {enumName}: reserved numbers {range.Start} to {range.End} no longer reserved");
            }
        }

        foreach (var reserved in old.ReservedName.Except(now.ReservedName))
        {
            breaks.Add($"enum {enumName}: reserved name {reserved} no longer reserved");
        }
    }

    private static void CompareService(string service, ServiceDescriptorProto old, ServiceDescriptorProto now, List<string> breaks)
    {
        foreach (var method in old.Method)
        {
            var name = $"{service}.{method.Name}";
            if (now.Method.FirstOrDefault(m => m.Name == method.Name) is not { } same)
            {
                breaks.Add($"rpc {name} removed");
                continue;
            }

            if (Signature(same) != Signature(method))
            {
                breaks.Add($"rpc {name} changed from {Signature(method)} to {Signature(same)}");
            }
        }
    }

    private static bool IsReserved(IEnumerable<DescriptorProto.Types.ReservedRange> ranges, int number, bool endExclusive) =>
        IsReserved(ranges.Select(r => (r.Start, r.End)), number, endExclusive);

    private static bool IsReserved(IEnumerable<(int Start, int End)> ranges, int number, bool endExclusive) =>
        ranges.Any(r => r.Start <= number && (endExclusive ? number < r.End : number <= r.End));

    /// <summary>"int32", ".aggregation.v1.DeliveryStatus", "repeated .aggregation.v1.Delivery" (a map is a repeated entry message).</summary>
    private static string TypeOf(FieldDescriptorProto field)
    {
        var type = field.Type is FieldDescriptorProto.Types.Type.Message or FieldDescriptorProto.Types.Type.Enum
            ? field.TypeName
            : field.Type.ToString().ToLowerInvariant();
        return field.Label == FieldDescriptorProto.Types.Label.Repeated ? "repeated " + type : type;
    }

    private static string Signature(MethodDescriptorProto method) =>
        $"({(method.ClientStreaming ? "stream " : "")}{method.InputType}) returns ({(method.ServerStreaming ? "stream " : "")}{method.OutputType})";

    /// <summary>Every message (nested ones too), enum and service by its full name, e.g. ".aggregation.v1.Delivery".</summary>
    private static (Dictionary<string, DescriptorProto> Messages, Dictionary<string, EnumDescriptorProto> Enums, Dictionary<string, ServiceDescriptorProto> Services) Index(FileDescriptorSet set)
    {
        var messages = new Dictionary<string, DescriptorProto>(StringComparer.Ordinal);
        var enums = new Dictionary<string, EnumDescriptorProto>(StringComparer.Ordinal);
        var services = new Dictionary<string, ServiceDescriptorProto>(StringComparer.Ordinal);
        foreach (var file in set.File)
        {
            var scope = file.Package.Length > 0 ? "." + file.Package : "";
            foreach (var e in file.EnumType)
            {
                enums[$"{scope}.{e.Name}"] = e;
            }

            foreach (var message in file.MessageType)
            {
                Add(scope, message);
            }

            foreach (var service in file.Service)
            {
                services[$"{scope}.{service.Name}"] = service;
            }
        }

        return (messages, enums, services);

        void Add(string scope, DescriptorProto message)
        {
            var name = $"{scope}.{message.Name}";
            messages[name] = message;
            foreach (var e in message.EnumType)
            {
                enums[$"{name}.{e.Name}"] = e;
            }

            foreach (var nested in message.NestedType)
            {
                Add(name, nested);
            }
        }
    }
}
