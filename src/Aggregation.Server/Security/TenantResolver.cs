using Aggregation.Hierarchy;
using Aggregation.Rollup;
using Aggregation.Server.Errors;
using Grpc.Core;

namespace Aggregation.Server.Security;

/// <summary>
/// Resolves the caller's tenant once, at the gRPC edge. Until authentication lands the tenant is
/// read from the <c>x-tenant-id</c> header (the default tenant when absent); it is never taken from
/// a request field, and every grain key derived from it includes it.
/// </summary>
public sealed class TenantResolver(Hierarchy.Catalog catalog)
{
    public const string Header = "x-tenant-id";

    public Tenant Resolve(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = context.RequestHeaders.GetValue(Header);
        if (string.IsNullOrEmpty(id))
        {
            return catalog.Tenants[catalog.DefaultTenant];
        }

        return catalog.Tenants.TryGetValue(id, out var tenant)
            ? tenant
            : throw RpcErrors.InvalidArgument(new FieldError("x-tenant-id", $"unknown tenant '{RpcErrors.Clip(id)}'"));
    }
}
