using Aggregation.Storage;

namespace Aggregation.Server.Approvals;

/// <summary>Registration of approvals: the registry always (the submission path checks it), the store and its refresh with PostgreSQL.</summary>
public static class ApprovalsSetup
{
    public static WebApplicationBuilder AddApprovals(this WebApplicationBuilder builder, bool withDatabase)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<ApprovalWorkflow>();
        builder.Services.AddOptions<ApprovalOptions>().BindConfiguration(ApprovalOptions.Section);
        builder.Services.AddSingleton(sp =>
        {
            var registry = new ApprovalRegistry(sp.GetRequiredService<Hierarchy.Catalog>());
            if (!withDatabase)
            {
                // Memory mode records no approvals (Approve answers FAILED_PRECONDITION): nothing to read.
                registry.Load([]);
            }

            return registry;
        });
        if (withDatabase)
        {
            builder.Services.AddSingleton<PostgresApprovalStore>();
            builder.Services.AddHostedService<ApprovalRefresh>();
        }

        return builder;
    }
}
