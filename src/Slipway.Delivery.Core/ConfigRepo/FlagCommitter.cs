using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.ConfigRepo;

/// <summary>
/// SetFlag: commits one feature flag change to an environment's ConfigMap in the config repo — a Git commit like any
/// deploy, with the deployment trailers of what the environment runs (same image and source) plus Slipway-Flag.
/// </summary>
public sealed class FlagCommitter(ConfigRepository repository, Serilog.ILogger log)
{
    public const string FlagTrailerKey = "Slipway-Flag";

    /// <summary>
    /// Sets <paramref name="flag"/> to <paramref name="value"/> (on, off, 30%, Formal=70,Casual=30) in
    /// environments/&lt;<paramref name="environment"/>&gt;/configmap.yaml and pushes the commit. The same value again: no commit.
    /// </summary>
    /// <param name="deployDirectory">deploy/, needed only for the value <c>deploy</c> (the flag returns to what deploy/ declares).</param>
    /// <exception cref="ManifestException">Bad value, unknown flag or variant (names the known ones); nothing is committed.</exception>
    /// <exception cref="InvalidOperationException">The environment has never been deployed.</exception>
    public async Task<CommitResult> SetFlagAsync(string environment, string flag, string value, string run, string? deployDirectory = null,
        CancellationToken cancellationToken = default)
    {
        EnvironmentName.Require(environment);
        ArgumentException.ThrowIfNullOrWhiteSpace(run);
        if (string.IsNullOrWhiteSpace(flag))
            throw new ManifestException("--flag is missing; name the feature flag to change (e.g. --flag Greeting.V2)");
        flag = flag.Trim();
        var reset = string.Equals(value?.Trim(), FlagValue.DeployKeyword, StringComparison.OrdinalIgnoreCase);
        var parsed = reset ? null : FlagValue.Parse(flag, value);
        var shown = parsed?.ToString() ?? FlagValue.DeployKeyword;

        var current = await repository.ReadEnvironmentAsync(environment, cancellationToken: cancellationToken)
                      ?? throw new InvalidOperationException(
                          $"The config repo has no environment '{environment}'; deploy it first (./build.sh Deploy --environment {environment}), then set flags");
        var declared = FlagChange.DeclaredFlags(current.ConfigMap);
        if (!declared.Contains(flag))
            throw new ManifestException($"{SlipwayMetadata.EnvironmentFolder(environment)}/{SlipwayMetadata.ConfigMapFile}: no feature flag '{flag}' " +
                                        $"(declared flags: {string.Join(", ", declared)}); fix --flag or declare the flag in deploy/base/configmap.yaml");
        var deployed = (await repository.HistoryAsync(environment, cancellationToken)).Select(commit => commit.Deployment)
                       .FirstOrDefault(trailers => trailers?.Environment == environment)
                       ?? throw new InvalidOperationException($"No Slipway deployment commit of '{environment}' in the config repo; deploy it first");
        // The flag change ships what already runs: the same image and source, so lead-time metrics credit no new commits.
        var trailers = new DeploymentTrailers(environment, current.Image ?? deployed.Image, deployed.SourceCommit, deployed.SourceTime, run);

        // Back to deploy/: the flag as deploy/ renders it for this environment (with the image it runs, so the render is valid).
        string? declaredConfigMap = null;
        if (reset)
        {
            if (deployDirectory is null)
                throw new ArgumentException("--value deploy needs the deploy/ folder to read the declared flag from", nameof(deployDirectory));
            declaredConfigMap = ManifestRenderer.Render(deployDirectory, environment, trailers.Image).Files[SlipwayMetadata.ConfigMapFile];
        }

        var folder = SlipwayMetadata.EnvironmentFolder(environment);
        var path = $"{folder}/{SlipwayMetadata.ConfigMapFile}";
        var message = (reset ? $"Hand flag {flag} back to deploy/ in {environment}\n\n" : $"Set flag {flag} to {shown} in {environment}\n\n") +
                      $"Feature flag change only: {environment} keeps running {trailers.Image}.\n\n" +
                      string.Join('\n', trailers.ToLines()) + $"\n{FlagTrailerKey}: {flag}={shown}\n";
        var result = await repository.CommitAsync(path, async (work, token) =>
        {
            // Edit the file as it is on the branch head being committed onto (re-read after a rebase conflict).
            var file = Path.Combine(work, folder, SlipwayMetadata.ConfigMapFile);
            if (!File.Exists(file))
                throw new InvalidOperationException($"{path} disappeared from the config repo; deploy {environment} again, then set flags");
            var text = await File.ReadAllTextAsync(file, token);
            var changed = parsed is null ? FlagChange.Reset(text, path, flag, declaredConfigMap!) : FlagChange.Set(text, path, flag, parsed);
            await File.WriteAllTextAsync(file, changed, new System.Text.UTF8Encoding(false), token);
        }, message, cancellationToken);
        log.Information(result.Changed
            ? "Set flag {Flag:l} to {Value:l} in {Environment:l} at {Sha:l}"
            : "Flag {Flag:l} is already {Value:l} in {Environment:l}: nothing to commit ({Sha:l})", flag, shown, environment, result.Sha[..12]);
        return result;
    }
}
