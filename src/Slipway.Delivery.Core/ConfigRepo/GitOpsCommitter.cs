using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.ConfigRepo;

/// <summary>Commits a rendered environment to the config repo with the deployment trailers, and pushes it.</summary>
public sealed class GitOpsCommitter(ConfigRepository repository, Serilog.ILogger log)
{
    /// <summary>Renders <paramref name="environment"/> from <paramref name="deployDirectory"/> with the image of the trailers, then commits it.</summary>
    public Task<CommitResult> RenderAndCommitAsync(string deployDirectory, DeploymentTrailers trailers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trailers);
        var rendered = ManifestRenderer.Render(deployDirectory, trailers.Environment, trailers.Image);
        return CommitEnvironmentAsync(rendered, trailers with { Image = rendered.Image.ToString() }, cancellationToken);
    }

    /// <summary>
    /// Writes environments/&lt;env&gt;/ exactly as rendered (files it no longer has are removed), commits with the trailers
    /// and pushes (rebasing on concurrent pushes). Unchanged content: no commit, result "unchanged".
    /// </summary>
    public async Task<CommitResult> CommitEnvironmentAsync(RenderedEnvironment rendered, DeploymentTrailers trailers,
        CancellationToken cancellationToken = default)
    {
        var change = Prepare(rendered, trailers);
        var result = await repository.CommitAsync(change.Folder, change.Apply, change.Message, cancellationToken);
        log.Information("GitOps commit for {Environment}: {Outcome} at {Sha}", rendered.Environment, result.Outcome, result.Sha[..12]);
        return result;
    }

    /// <summary>
    /// The same commit as <see cref="CommitEnvironmentAsync"/>, pushed to <paramref name="branch"/> (a promotion pull
    /// request's head) instead of the branch the agent follows.
    /// </summary>
    public async Task<BranchCommit> CommitEnvironmentToBranchAsync(RenderedEnvironment rendered, DeploymentTrailers trailers, string branch,
        CancellationToken cancellationToken = default)
    {
        var change = Prepare(rendered, trailers);
        var result = await repository.CommitToBranchAsync(branch, change.Folder, change.Apply, change.Message, cancellationToken);
        log.Information("GitOps commit for {Environment} on branch {Branch}: {Outcome} at {Sha}", rendered.Environment, branch,
            result.Changed ? "committed" : "unchanged", result.Sha[..12]);
        return result;
    }

    private sealed record EnvironmentChange(string Folder, Func<string, CancellationToken, Task> Apply, string Message);

    /// <summary>Checks the rendering against its trailers and the agent's rules, and describes the commit that writes it.</summary>
    private EnvironmentChange Prepare(RenderedEnvironment rendered, DeploymentTrailers trailers)
    {
        ArgumentNullException.ThrowIfNull(rendered);
        ArgumentNullException.ThrowIfNull(trailers);
        if (trailers.Environment != rendered.Environment)
            throw new ArgumentException($"trailer Slipway-Environment '{trailers.Environment}' differs from the rendered environment '{rendered.Environment}'");
        if (trailers.Image != rendered.Image.ToString())
            throw new ArgumentException($"trailer Slipway-Image '{trailers.Image}' differs from the rendered image '{rendered.Image}'");
        trailers.Check();
        // Never commit what the agent would refuse.
        ManifestValidator.ThrowIfInvalid(EnvironmentManifests.Parse(rendered.Environment, rendered.Files));

        var folder = SlipwayMetadata.EnvironmentFolder(rendered.Environment);
        var message = $"Deploy {rendered.Image.Digest[..19]} to {rendered.Environment}\n\n" +
                      $"Image {rendered.Image} from source commit {trailers.SourceCommit}.\n\n" +
                      string.Join('\n', trailers.ToLines()) + "\n";
        return new EnvironmentChange(folder, (work, _) =>
        {
            // Flags set with SetFlag live on in the config repo's ConfigMap; read them from the tree being committed onto
            // (fresh after every rebase), so a flag change racing this deploy is never lost.
            var configMapPath = Path.Combine(work, folder, SlipwayMetadata.ConfigMapFile);
            var current = File.Exists(configMapPath) ? File.ReadAllText(configMapPath) : null;
            FlagChange.CarryOver(rendered, current, $"{folder}/{SlipwayMetadata.ConfigMapFile}", log).WriteTo(Path.Combine(work, folder));
            return Task.CompletedTask;
        }, message);
    }
}
