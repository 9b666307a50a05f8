using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Platform;
using Slipway.Delivery.SupplyChain;

namespace Slipway.Delivery.Tests.SupplyChain;

/// <summary>The shapes of what is attested: CycloneDX SBOM, SLSA provenance v1, in-toto Statement v1, and the package readers.</summary>
public sealed class AttestationShapeTests
{
    private static readonly ImageReference Image =
        ImageReference.Parse("127.0.0.1:5000/slipway/beacon@sha256:" + new string('a', 64));

    private const string DepsJson = """
        {
          "runtimeTarget": { "name": ".NETCoreApp,Version=v10.0/linux-x64", "signature": "" },
          "targets": {},
          "libraries": {
            "Beacon/1.2.3": { "type": "project", "serviceable": false, "sha512": "" },
            "Serilog/4.4.0": { "type": "package", "serviceable": true, "sha512": "sha512-x", "path": "serilog/4.4.0" },
            "Microsoft.FeatureManagement.AspNetCore/4.7.0": { "type": "package", "serviceable": true, "sha512": "sha512-y" },
            "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/10.0.12": { "type": "runtimepack", "serviceable": false, "sha512": "" },
            "Slipway.Shared/1.2.3": { "type": "project" }
          }
        }
        """;

    [Fact]
    public void The_deps_json_gives_nuget_packages_and_runtime_packs_with_purls_not_projects()
    {
        var components = DotnetDependencies.Parse(Encoding.UTF8.GetBytes(DepsJson));

        Assert.Equal(
        [
            "pkg:nuget/Microsoft.FeatureManagement.AspNetCore@4.7.0",
            "pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@10.0.12",
            "pkg:nuget/Serilog@4.4.0",
        ], components.Select(component => component.Purl));
        Assert.Contains(components, component => component is { Name: "Serilog", Version: "4.4.0" });
    }

    [Fact]
    public void Debian_packages_come_from_the_recipe_without_versions_or_from_dpkg_status_with_them()
    {
        var recipe = new DebianBaseRecipe("bookworm", [], ["zlib1g", "libc6"]);
        var fromRecipe = DebianPackages.FromRecipe(recipe);
        Assert.Equal([$"pkg:deb/debian/libc6?arch={DebianBaseRecipe.Architecture}", $"pkg:deb/debian/zlib1g?arch={DebianBaseRecipe.Architecture}"],
            fromRecipe.Select(component => component.Purl));
        Assert.All(fromRecipe, component => Assert.Null(component.Version));

        var status = """
            Package: libc6
            Status: install ok installed
            Architecture: amd64
            Version: 2.36-9+deb12u10
            Description: GNU C Library
             continuation line: not a field

            Package: removed-thing
            Status: deinstall ok config-files
            Version: 1.0

            Package: tzdata
            Status: install ok installed
            Architecture: all
            Version: 2025b-0+deb12u1
            """;
        Assert.Equal(["pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64", "pkg:deb/debian/tzdata@2025b-0%2Bdeb12u1?arch=all"],
            DebianPackages.ParseDpkgStatus(status).Select(component => component.Purl));
    }

    [Fact]
    public void The_SBOM_is_CycloneDX_1_6_with_the_image_as_subject_and_every_package_with_a_purl()
    {
        var predicate = SupplyChainSamples.Sbom(Image);
        var bom = predicate.Body;

        Assert.Equal("https://cyclonedx.org/bom", predicate.PredicateType);
        Assert.Equal("CycloneDX", (string?)bom["bomFormat"]);
        Assert.Equal("1.6", (string?)bom["specVersion"]);
        Assert.Equal(1, (int?)bom["version"]);
        Assert.Matches("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", (string?)bom["serialNumber"]);
        Assert.Equal("2026-12-01T10:00:00Z", (string?)bom["metadata"]!["timestamp"]);
        Assert.Equal("container", (string?)bom["metadata"]!["component"]!["type"]);
        Assert.Equal("127.0.0.1:5000/slipway/beacon", (string?)bom["metadata"]!["component"]!["name"]);
        Assert.Equal(Image.Digest, (string?)bom["metadata"]!["component"]!["version"]);
        var components = bom["components"]!.AsArray();
        Assert.Equal(SupplyChainSamples.Packages.Count, components.Count);
        Assert.All(components, component =>
        {
            Assert.Equal("library", (string?)component!["type"]);
            Assert.False(string.IsNullOrEmpty((string?)component["name"]));
            Assert.StartsWith("pkg:", (string?)component["purl"]);
            Assert.Equal((string?)component["purl"], (string?)component["bom-ref"]);
        });
        Assert.Null(components.Single(component => (string?)component!["name"] == "tzdata")!["version"]);

        var parsed = CycloneDxSbom.Parse(bom);
        Assert.Equal(SupplyChainSamples.Packages.Select(p => p.Purl).Order(StringComparer.Ordinal), parsed.Components.Select(c => c.Purl));
    }

    [Fact]
    public void The_same_image_and_packages_give_the_same_SBOM_bytes()
    {
        Assert.Equal(SupplyChainSamples.Sbom(Image).Body.ToJsonString(), SupplyChainSamples.Sbom(Image).Body.ToJsonString());
        Assert.NotEqual((string?)SupplyChainSamples.Sbom(Image).Body["serialNumber"],
            (string?)SupplyChainSamples.Sbom(Image with { Digest = "sha256:" + new string('b', 64) }).Body["serialNumber"]);
    }

    [Fact]
    public void An_SBOM_without_the_required_fields_is_refused()
    {
        Assert.Throws<FormatException>(() => CycloneDxSbom.Parse(new JsonObject { ["bomFormat"] = "SPDX", ["specVersion"] = "1.6" }));
        Assert.Throws<FormatException>(() => CycloneDxSbom.Parse(new JsonObject { ["bomFormat"] = "CycloneDX" }));
        Assert.Throws<FormatException>(() => CycloneDxSbom.Parse(new JsonObject
        {
            ["bomFormat"] = "CycloneDX", ["specVersion"] = "1.6", ["components"] = new JsonArray(new JsonObject { ["type"] = "library" }),
        }));
    }

    [Fact]
    public void The_provenance_is_SLSA_v1_with_the_source_commit_and_run_id_and_no_secrets()
    {
        var predicate = SupplyChainSamples.Provenance();
        var body = predicate.Body;

        Assert.Equal("https://slsa.dev/provenance/v1", predicate.PredicateType);
        var definition = body["buildDefinition"]!;
        Assert.Equal("https://slipway.dev/build/pipeline/v1", (string?)definition["buildType"]);
        Assert.Equal("Push", (string?)definition["externalParameters"]!["target"]);
        Assert.Equal("https://example.com/acme/beacon.git", (string?)definition["externalParameters"]!["source"]);
        var dependency = Assert.Single(definition["resolvedDependencies"]!.AsArray())!;
        Assert.Equal("git+https://example.com/acme/beacon.git", (string?)dependency["uri"]);
        Assert.Equal("0123456789abcdef0123456789abcdef01234567", (string?)dependency["digest"]!["gitCommit"]);
        Assert.Equal("https://slipway.dev/builder/local", (string?)body["runDetails"]!["builder"]!["id"]);
        Assert.Equal("run-42", (string?)body["runDetails"]!["metadata"]!["invocationId"]);
        Assert.Equal("2026-12-01T10:01:00Z", (string?)body["runDetails"]!["metadata"]!["startedOn"]);
        var text = body.ToJsonString();
        Assert.DoesNotContain("hunter2", text);
        Assert.DoesNotContain("ghp_", text);
        Assert.DoesNotContain("registry-password", text);

        var parsed = SlsaProvenance.Parse(body);
        Assert.Equal(("run-42", "0123456789abcdef0123456789abcdef01234567", "https://example.com/acme/beacon.git"),
            (parsed.RunId, parsed.SourceCommit, parsed.SourceRepository));
        Assert.Equal(["registry", "target"], parsed.ExternalParameters.Keys.Order());
        Assert.Throws<FormatException>(() => SlsaProvenance.Parse(new JsonObject { ["buildDefinition"] = new JsonObject() }));
    }

    [Fact]
    public void A_statement_is_in_toto_v1_with_the_repository_and_digest_as_subject_and_reads_back()
    {
        var statement = InTotoStatement.About("127.0.0.1:5000/slipway/beacon", Image.Digest!, SupplyChainSamples.Provenance());

        using var json = JsonDocument.Parse(statement.ToBytes());
        var root = json.RootElement;
        Assert.Equal(["_type", "subject", "predicateType", "predicate"], root.EnumerateObject().Select(property => property.Name));
        Assert.Equal("https://in-toto.io/Statement/v1", root.GetProperty("_type").GetString());
        var subject = Assert.Single(root.GetProperty("subject").EnumerateArray());
        Assert.Equal("127.0.0.1:5000/slipway/beacon", subject.GetProperty("name").GetString());
        Assert.Equal(new string('a', 64), subject.GetProperty("digest").GetProperty("sha256").GetString());
        Assert.Equal(SlsaProvenance.PredicateType, root.GetProperty("predicateType").GetString());

        var parsed = InTotoStatement.Parse(statement.ToBytes());
        Assert.True(parsed.HasSubjectDigest(Image.Digest!));
        Assert.False(parsed.HasSubjectDigest("sha256:" + new string('b', 64)));
        Assert.Throws<FormatException>(() => InTotoStatement.Parse("""{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x","predicate":{}}"""u8));
        Assert.Throws<FormatException>(() => InTotoStatement.Parse("""{"_type":"other","subject":[{"digest":{}}],"predicateType":"x","predicate":{}}"""u8));
        Assert.Throws<FormatException>(() => InTotoStatement.Parse("""{"_type":1}"""u8));
    }
}
