using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Tests.Manifests;

/// <summary>Each rule of the validator, broken once on otherwise valid rendered files.</summary>
public sealed class ManifestValidatorTests
{
    private static Dictionary<string, string> ValidFiles() =>
        new(ManifestRenderer.Render(DeployFolder.Repository, "staging", DeployFolder.Image).Files, StringComparer.Ordinal);

    private static IReadOnlyList<string> ProblemsAfter(string file, string search, string replacement)
    {
        var files = ValidFiles();
        Assert.Contains(search, files[file]);
        files[file] = files[file].Replace(search, replacement, StringComparison.Ordinal);
        return ManifestValidator.Validate(EnvironmentManifests.Parse("staging", files));
    }

    [Fact]
    public void Rendered_files_are_valid() =>
        Assert.Empty(ManifestValidator.Validate(EnvironmentManifests.Parse("staging", ValidFiles())));

    [Theory]
    [InlineData("127.0.0.1:5000/beacon:1.2.3", "named by tag")]
    [InlineData("127.0.0.1:5000/beacon:latest", "mutable tag 'latest'")]
    [InlineData("127.0.0.1:5000/beacon", "has no digest")]
    [InlineData("127.0.0.1:5000/beacon@sha256:abc", "64 lowercase hex")]
    public void An_image_not_pinned_by_digest_is_refused(string image, string expected)
    {
        var problem = Assert.Single(ProblemsAfter("deployment.yaml", DeployFolder.Image, image));
        Assert.Contains("environments/staging/deployment.yaml, Deployment 'beacon', container 'beacon'", problem);
        Assert.Contains(expected, problem);
        Assert.Contains("digest", problem);

        var rendering = Assert.Throws<ManifestException>(() => ManifestRenderer.Render(DeployFolder.Repository, "staging", image));
        Assert.Contains(expected, rendering.Message);
    }

    [Fact]
    public void A_missing_readiness_probe_is_refused()
    {
        var files = ValidFiles();
        var lines = files["deployment.yaml"].Split('\n').ToList();
        var start = lines.FindIndex(line => line.Trim() == "readinessProbe:");
        var end = lines.FindIndex(start + 1, line => !line.StartsWith(new string(' ', 12), StringComparison.Ordinal));
        lines.RemoveRange(start, end - start);
        files["deployment.yaml"] = string.Join('\n', lines);

        var problem = Assert.Single(ManifestValidator.Validate(EnvironmentManifests.Parse("staging", files)));
        Assert.Contains("deployment.yaml, Deployment 'beacon', container 'beacon': readinessProbe is missing; add an httpGet probe", problem);
    }

    [Fact]
    public void A_missing_liveness_probe_is_refused_when_rendering()
    {
        using var deploy = DeployFolder.Copy();
        deploy.Edit("base/deployment.yaml", text => text.Replace("livenessProbe:", "startupProbe:", StringComparison.Ordinal));

        var exception = Assert.Throws<ManifestException>(() => ManifestRenderer.Render(deploy.Path, "staging", DeployFolder.Image));
        Assert.Contains("livenessProbe is missing", Assert.Single(exception.Problems));
    }

    [Fact]
    public void An_unknown_kind_is_refused()
    {
        var problems = ProblemsAfter("deployment.yaml", "kind: Deployment", "kind: StatefulSet");
        Assert.Contains(problems, problem => problem.Contains("deployment.yaml") && problem.Contains("unknown kind 'StatefulSet'") &&
                                             problem.Contains("must hold a apps/v1 Deployment"));
    }

    [Fact]
    public void A_probe_on_a_port_the_container_does_not_have_is_refused()
    {
        var problems = ProblemsAfter("deployment.yaml", "path: /readyz\n              port: http", "path: /readyz\n              port: 9090");
        Assert.Contains("readinessProbe.httpGet.port '9090' is not a port of the container", Assert.Single(problems));
    }

    [Theory]
    [InlineData("service.yaml", "targetPort: http", "targetPort: 9999", "targetPort '9999' is not a port of the Deployment's container")]
    [InlineData("service.yaml", "port: 80\n", "port: 70000\n", "port 70000 is out of range")]
    [InlineData("service.yaml", "slipway.dev/host-port: \"8081\"", "slipway.dev/host-port: \"http\"", "slipway.dev/host-port is 'http'")]
    [InlineData("service.yaml", "slipway.dev/host-port: \"8081\"", "slipway.dev/host-port: \"0\"", "1-65535")]
    [InlineData("deployment.yaml", "containerPort: 8080", "containerPort: 0", "containerPort 0 is out of range")]
    public void A_bad_port_is_refused(string file, string search, string replacement, string expected)
    {
        var problems = ProblemsAfter(file, search, replacement);
        Assert.Contains(problems, problem => problem.Contains(file) && problem.Contains(expected));
    }

    [Theory]
    [InlineData("deployment.yaml", "replicas: 2", "replicas: -1", "spec.replicas is -1; use 0 or more")]
    [InlineData("deployment.yaml", "slipway.dev/strategy: rolling", "slipway.dev/strategy: big-bang", "use one of rolling, blue-green, canary")]
    [InlineData("deployment.yaml", "  namespace: staging", "  namespace: production", "objects of environment 'staging' live in namespace 'staging'")]
    [InlineData("configmap.yaml", "  namespace: staging", "  namespace: default", "live in namespace 'staging'")]
    [InlineData("deployment.yaml", "    slipway.dev/environment: staging\n  name: beacon", "  name: beacon", "label slipway.dev/environment is ''")]
    [InlineData("deployment.yaml", "name: beacon-config", "name: other-config", "mounts ConfigMap 'other-config'")]
    [InlineData("service.yaml", "    slipway.dev/environment: staging\n  type", "    slipway.dev/environment: production\n  type", "would route to no pod")]
    [InlineData("configmap.yaml", "\"ErrorRate\": 0,", "\"ErrorRate\": 0,,", "data 'appsettings.json' is not valid JSON")]
    [InlineData("configmap.yaml", "\"ErrorRate\": 0,", "\"ErrorRate\": 0.5,", "does not match the data")]
    public void Each_rule_names_file_object_and_fix(string file, string search, string replacement, string expected)
    {
        var problems = ProblemsAfter(file, search, replacement);
        Assert.Contains(problems, problem => problem.StartsWith($"environments/staging/{file}, ", StringComparison.Ordinal) && problem.Contains(expected));
    }

    [Fact]
    public void Invalid_yaml_is_a_parse_error_with_its_line()
    {
        var files = ValidFiles();
        files["service.yaml"] = "apiVersion: v1\nkind: Service\nmetadata:\n  name: [beacon\n";
        var exception = Assert.Throws<ManifestException>(() => EnvironmentManifests.Parse("staging", files));
        Assert.Contains("environments/staging/service.yaml: not valid YAML (line", Assert.Single(exception.Problems));
    }

    [Fact]
    public void A_misspelt_field_is_a_parse_error_naming_it()
    {
        var files = ValidFiles();
        files["deployment.yaml"] = files["deployment.yaml"].Replace("readinessProbe:", "readinesProbe:", StringComparison.Ordinal);
        var exception = Assert.Throws<ManifestException>(() => EnvironmentManifests.Parse("staging", files));
        var problem = Assert.Single(exception.Problems);
        Assert.Contains("environments/staging/deployment.yaml (line", problem);
        Assert.Contains("readinesProbe", problem);
    }

    [Fact]
    public void Missing_and_unexpected_files_are_parse_errors()
    {
        var files = ValidFiles();
        files.Remove("service.yaml");
        files["kustomization.yaml"] = "resources: []";
        var exception = Assert.Throws<ManifestException>(() => EnvironmentManifests.Parse("staging", files));
        Assert.Contains(exception.Problems, problem => problem.StartsWith("environments/staging/service.yaml: missing", StringComparison.Ordinal));
        Assert.Contains(exception.Problems, problem => problem.StartsWith("environments/staging/kustomization.yaml: unexpected file", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_objects_in_one_file_are_a_parse_error()
    {
        var files = ValidFiles();
        files["service.yaml"] = files["service.yaml"] + "---\n" + files["service.yaml"];
        var exception = Assert.Throws<ManifestException>(() => EnvironmentManifests.Parse("staging", files));
        Assert.Contains("holds 2 YAML documents", Assert.Single(exception.Problems));
    }

    [Fact]
    public void Load_reports_a_missing_folder()
    {
        var exception = Assert.Throws<ManifestException>(() => EnvironmentManifests.Load("/nonexistent/environments/staging"));
        Assert.Contains("does not exist", exception.Message);
    }
}
