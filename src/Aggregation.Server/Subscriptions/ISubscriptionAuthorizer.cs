using Aggregation.Hierarchy;
using Grpc.Core;

namespace Aggregation.Server.Subscriptions;

/// <summary>
/// Decides whether a caller may watch a unit (and its children). The security work replaces the
/// default with role and scope checks; it throws PERMISSION_DENIED without revealing whether the unit exists.
/// </summary>
public interface ISubscriptionAuthorizer
{
    ValueTask AuthorizeAsync(ServerCallContext context, Tenant tenant, AdminUnit unit);
}

/// <summary>Every caller of the tenant may watch every unit of it (no authentication yet).</summary>
public sealed class TenantSubscriptionAuthorizer : ISubscriptionAuthorizer
{
    public ValueTask AuthorizeAsync(ServerCallContext context, Tenant tenant, AdminUnit unit) => ValueTask.CompletedTask;
}
