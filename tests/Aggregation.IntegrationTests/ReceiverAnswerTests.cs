using System.Net;
using Aggregation.Server.Reporting;

namespace Aggregation.IntegrationTests;

/// <summary>
/// A delivery is done only when the receiver says every value was taken. The answers are DHIS2's
/// (2.40: a web message around an import summary, HTTP 409 for WARNING and ERROR; completeness
/// registrations answer 200 SUCCESS even with conflicts).
/// </summary>
public sealed class ReceiverAnswerTests
{
    [Fact]
    public void A_409_warning_with_ignored_values_is_a_refusal_that_names_the_conflicts()
    {
        const string body = """
            {"httpStatus":"Conflict","httpStatusCode":409,"status":"WARNING","message":"One more conflicts encountered, please check import summary.",
             "response":{"responseType":"ImportSummary","status":"WARNING","importCount":{"imported":11,"updated":0,"ignored":1,"deleted":0},
               "conflicts":[{"object":"awareness_activites","objects":{"dataElement":"awareness_activites"},"value":"Data element not found or not accessible: `awareness_activites`","errorCode":"E7610","property":"dataElement","indexes":[3]}]}}
            """;

        var (verdict, reason) = ReceiverAnswer.Judge(HttpStatusCode.Conflict, body);

        Assert.Equal(DeliveryVerdict.Refused, verdict);
        Assert.Contains("1 ignored", reason, StringComparison.Ordinal);
        Assert.Contains("E7610 dataElement Data element not found", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_409_error_rejecting_the_whole_import_is_a_refusal()
    {
        const string body = """
            {"httpStatus":"Conflict","httpStatusCode":409,"status":"ERROR","message":"An error occurred, please check import summary.",
             "response":{"responseType":"ImportSummary","status":"ERROR","description":"Import process was aborted","importCount":{"imported":0,"updated":0,"ignored":12,"deleted":0},"conflicts":[]}}
            """;

        Assert.Equal(DeliveryVerdict.Refused, ReceiverAnswer.Judge(HttpStatusCode.Conflict, body).Verdict);
    }

    [Fact]
    public void A_200_success_with_every_value_imported_or_updated_is_delivered()
    {
        const string body = """
            {"httpStatus":"OK","httpStatusCode":200,"status":"OK","message":"Import was successful.",
             "response":{"responseType":"ImportSummary","status":"SUCCESS","importCount":{"imported":9,"updated":3,"ignored":0,"deleted":0},"conflicts":[]}}
            """;

        Assert.Equal((DeliveryVerdict.Delivered, null), ReceiverAnswer.Judge(HttpStatusCode.OK, body));
    }

    [Fact]
    public void A_resend_whose_values_are_unchanged_is_delivered_though_dhis2_counts_them_ignored()
    {
        const string body = """
            {"httpStatus":"OK","httpStatusCode":200,"status":"OK","message":"Import was successful.",
             "response":{"responseType":"ImportSummary","status":"SUCCESS","importCount":{"imported":0,"updated":0,"ignored":12,"deleted":0},"conflicts":[]}}
            """;

        Assert.Equal(DeliveryVerdict.Delivered, ReceiverAnswer.Judge(HttpStatusCode.OK, body).Verdict);
    }

    [Fact]
    public void Registrations_answered_200_success_with_conflicts_are_a_refusal()
    {
        const string body = """
            {"httpStatus":"OK","httpStatusCode":200,"status":"OK","response":{"responseType":"ImportSummary","status":"SUCCESS",
             "importCount":{"imported":5,"updated":0,"ignored":1,"deleted":0},"conflicts":[{"object":"05443","value":"Organisation unit not found or not accessible"}]}}
            """;

        var (verdict, reason) = ReceiverAnswer.Judge(HttpStatusCode.OK, body);

        Assert.Equal(DeliveryVerdict.Refused, verdict);
        Assert.Contains("05443 Organisation unit not found", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_import_summary_409_means_the_receiver_holds_the_key_and_500_is_tried_again()
    {
        Assert.Equal(DeliveryVerdict.Delivered, ReceiverAnswer.Judge(HttpStatusCode.Conflict, "").Verdict);
        Assert.Equal(DeliveryVerdict.Retry, ReceiverAnswer.Judge(HttpStatusCode.InternalServerError, "{\"status\":\"ERROR\"}").Verdict);
        Assert.Equal(DeliveryVerdict.Refused, ReceiverAnswer.Judge(HttpStatusCode.BadRequest, "bad").Verdict);
    }
}
