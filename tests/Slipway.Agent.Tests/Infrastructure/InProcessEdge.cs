using Microsoft.AspNetCore.Builder;
using Slipway.Edge;

namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>
/// The Slipway.Edge that serves a test agent's environments, in-process over &lt;root&gt;/.nuke/platform/edge (where an
/// agent started with <c>--root root</c> looks for it). It outlives an agent restart, as the supervised edge does.
/// </summary>
sealed class InProcessEdge : IAsyncDisposable
{
    readonly WebApplication app;

    InProcessEdge(WebApplication app, string root)
    {
        this.app = app;
        AdminSocket = Path.Combine(root, ".nuke", "platform", "edge", "admin.sock");
    }

    public string AdminSocket { get; }

    public static async Task<InProcessEdge> StartAsync(string root, CancellationToken cancellationToken)
    {
        var app = EdgeHost.Build(["--root", root, "--name", "test", "--drain", "1"], TestLogger.Create("edge"));
        await app.StartAsync(cancellationToken);
        return new InProcessEdge(app, root);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }
}
