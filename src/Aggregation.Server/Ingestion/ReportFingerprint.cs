using System.Security.Cryptography;
using Aggregation.Protos.V1;
using Google.Protobuf;

namespace Aggregation.Server.Ingestion;

/// <summary>
/// What makes a retry the same report: a hash of what the report means, not of the bytes a client
/// happened to send. The unit, programme, period, report time (or its absence) and each value, by
/// data element, with entity ids as the set they are; left out are what does not change the
/// meaning: the order of values and of entity ids, <c>source_system</c> (transport metadata) and
/// fields unknown to this server (sent by a client built on a newer proto).
/// </summary>
public static class ReportFingerprint
{
    public static string Of(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);

        // A copy with only the fields of meaning, in one order: protobuf writes known fields in
        // field-number order, and a fresh message carries no unknown fields.
        var canonical = new Report
        {
            IdempotencyKey = report.IdempotencyKey,
            UnitCode = report.UnitCode,
            ProgrammeId = report.ProgrammeId,
            Period = report.Period,
            ReportedAt = report.ReportedAt is null ? null : new Google.Protobuf.WellKnownTypes.Timestamp { Seconds = report.ReportedAt.Seconds, Nanos = report.ReportedAt.Nanos },
        };
        canonical.Values.AddRange(report.Values.OrderBy(v => v.DataElement, StringComparer.Ordinal).Select(Canonical));
        return Hash(canonical.ToByteArray());
    }

    /// <summary>The hash of the wire bytes: how reports recorded before were keyed.</summary>
    public static string OfWire(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Hash(report.ToByteArray());
    }

    private static DataValue Canonical(DataValue value)
    {
        var copy = new DataValue { DataElement = value.DataElement };
        switch (value.ValueCase)
        {
            case DataValue.ValueOneofCase.Number:
                // -0 and 0 are one number.
                copy.Number = value.Number + 0.0;
                break;
            case DataValue.ValueOneofCase.Flag:
                copy.Flag = value.Flag;
                break;
            case DataValue.ValueOneofCase.Entities:
                copy.Entities = new EntityIds { Ids = { value.Entities.Ids.Order(StringComparer.Ordinal) } };
                break;
            case DataValue.ValueOneofCase.Withdrawn:
                copy.Withdrawn = new Withdrawal();
                break;
            case DataValue.ValueOneofCase.None:
                break;
        }

        return copy;
    }

    private static string Hash(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes), 0, 16);
}
