using Aggregation.Protos.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;

namespace Aggregation.IntegrationTests;

/// <summary>Browsing the hierarchy and the programmes, and the standard gRPC health and reflection services.</summary>
public sealed class CatalogApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task The_province_lists_its_nine_districts_with_Vietnamese_names_until_30_June_2025()
    {
        var response = await server.Catalog.GetUnitAsync(new GetUnitRequest { Code = ServerFixture.ProvinceCode, AsOf = "2025-06-30" });

        Assert.Equal("Tỉnh Thái Nguyên", response.Unit.Name);
        Assert.Equal(["VN"], response.Ancestors.Select(a => a.Code));
        Assert.Equal(9, response.Children.Count);
        Assert.Contains(response.Children, c => c.Code == "167" && c.Name == "Huyện Định Hóa");
    }

    [Fact]
    public async Task From_1_July_2025_the_province_lists_its_92_communes_and_no_district()
    {
        var response = await server.Catalog.GetUnitAsync(new GetUnitRequest { Code = ServerFixture.ProvinceCode, AsOf = "2025-07-01" });

        Assert.Equal(92, response.Children.Count);
        Assert.All(response.Children, c => Assert.Equal(("commune", "2025-07", "2025-07-01"), (c.Level, c.HierarchyVersion, c.ValidFrom)));
        Assert.Contains(response.Children, c => c.Code == "05443" && c.Name == "Phường Phan Đình Phùng");
    }

    [Fact]
    public async Task A_commune_knows_its_district_and_province_and_a_reused_code_its_date()
    {
        var before = await server.Catalog.GetUnitAsync(new GetUnitRequest { Code = "05443", AsOf = "2025-03-01" });
        Assert.Equal("Phường Trưng Vương", before.Unit.Name);
        Assert.Equal("commune", before.Unit.Level);
        Assert.Equal(["164", "19", "VN"], before.Ancestors.Select(a => a.Code));
        Assert.Equal(("2025-07-01", "05443"), (before.Unit.ValidTo, before.Unit.SuccessorCode));
        Assert.Empty(before.Children);

        var today = await server.Catalog.GetUnitAsync(new GetUnitRequest { Code = "05443" });
        Assert.Equal("Phường Phan Đình Phùng", today.Unit.Name);
        Assert.Equal(["19", "VN"], today.Ancestors.Select(a => a.Code));
    }

    [Fact]
    public async Task Listing_communes_pages_through_all_172()
    {
        var codes = new List<string>();
        var token = "";
        do
        {
            var page = await server.Catalog.ListUnitsAsync(new ListUnitsRequest { Level = "commune", AncestorCode = ServerFixture.ProvinceCode, AsOf = "2025-06-30", PageSize = 50, PageToken = token });
            Assert.Equal(172, page.Total);
            codes.AddRange(page.Units.Select(u => u.Code));
            token = page.NextPageToken;
        }
        while (token.Length > 0);

        Assert.Equal(172, codes.Distinct().Count());
    }

    [Fact]
    public async Task The_tenant_runs_the_Thai_Nguyen_plan_with_all_its_targets()
    {
        var programme = (await server.Catalog.ListProgrammesAsync(new ListProgrammesRequest())).Programmes.Single();

        Assert.Equal(ServerFixture.Programme, programme.Id);
        Assert.Equal(15, programme.Indicators.Count);
        Assert.Equal(0.2, programme.Indicators.Single(i => i.Id == "T3.2b").Target, 9);
        Assert.Contains(programme.DataSets, d => d.Id == "commune-police-monthly" && d.Level == "commune" && d.PeriodType == "monthly");
    }

    [Fact]
    public async Task The_health_service_reports_serving()
    {
        var health = await new Health.HealthClient(server.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Fact]
    public async Task Server_reflection_lists_the_versioned_services()
    {
        using var call = new ServerReflection.ServerReflectionClient(server.Channel).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext());
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        Assert.Contains("aggregation.v1.Ingestion", services);
        Assert.Contains("aggregation.v1.Rollups", services);
        Assert.Contains("aggregation.v1.Catalog", services);
    }
}
