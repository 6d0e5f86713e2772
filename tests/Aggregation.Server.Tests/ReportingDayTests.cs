using Aggregation.Rollup;
using Aggregation.Server.Hosting;
using Aggregation.Server.Ingestion;
using Aggregation.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Time.Testing;

namespace Aggregation.Server.Tests;

/// <summary>
/// The reporting day is the day in Vietnam (UTC+7): a commune that reports its new month in the first
/// hours of the 1st, Vietnam time, is still on the previous day in UTC and must not be refused.
/// </summary>
public sealed class ReportingDayTests
{
    /// <summary>00:30 on 1 April 2024 in Vietnam: 17:30 on 31 March in UTC.</summary>
    private static readonly DateTimeOffset HalfPastMidnightOnTheFirst = new(2024, 4, 1, 0, 30, 0, TimeSpan.FromHours(7));

    [Fact]
    public void Today_is_the_date_in_Vietnam_not_in_UTC()
    {
        var clock = new ReportingClock(new FakeTimeProvider(HalfPastMidnightOnTheFirst));

        Assert.Equal(new DateOnly(2024, 4, 1), clock.Today);
    }

    [Fact]
    public void A_report_for_the_new_month_sent_just_after_midnight_in_Vietnam_is_accepted()
    {
        var validator = new ReportValidator(Shipped.Catalog, new ReportingClock(new FakeTimeProvider(HalfPastMidnightOnTheFirst)));
        var report = new Report
        {
            IdempotencyKey = "april-first-hour",
            UnitCode = Shipped.CommuneOf165,
            ProgrammeId = Shipped.Programme,
            Period = "2024-04",
            ReportedAt = Timestamp.FromDateTimeOffset(HalfPastMidnightOnTheFirst),
            Values = { new DataValue { DataElement = "complaints_received", Number = 1 } },
        };
        var errors = new List<FieldError>();

        var validated = validator.Validate(Shipped.Catalog.Tenants[Shipped.Tenant], report, "", errors);

        Assert.Empty(errors);
        Assert.NotNull(validated);
    }

    [Fact]
    public void A_report_for_next_month_is_still_refused_as_not_started_on_the_last_evening_in_Vietnam()
    {
        var lastEvening = new DateTimeOffset(2024, 3, 31, 23, 30, 0, TimeSpan.FromHours(7));
        var validator = new ReportValidator(Shipped.Catalog, new ReportingClock(new FakeTimeProvider(lastEvening)));
        var report = new Report
        {
            IdempotencyKey = "april-too-early",
            UnitCode = Shipped.CommuneOf165,
            ProgrammeId = Shipped.Programme,
            Period = "2024-04",
            Values = { new DataValue { DataElement = "complaints_received", Number = 1 } },
        };
        var errors = new List<FieldError>();

        validator.Validate(Shipped.Catalog.Tenants[Shipped.Tenant], report, "", errors);

        var error = Assert.Single(errors);
        Assert.Equal("period", error.Field);
        Assert.Equal("2024-04 has not started yet (today is 2024-03-31)", error.Description);
    }
}
