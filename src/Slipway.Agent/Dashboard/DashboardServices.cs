using Microsoft.Extensions.DependencyInjection.Extensions;
using Slipway.Agent.Rollbacks;
using Slipway.Agent.Sync;
using Slipway.Delivery.ConfigRepo;

namespace Slipway.Agent.Dashboard;

public static class DashboardServices
{
    /// <summary>
    /// The dashboard's services. It reads and commits through a clone of its own (&lt;work-dir&gt;/config-repo-dashboard), the
    /// way the CLI does, so its commits are the CLI's; the agent's bare mirror stays read-only. An operator's rollback
    /// (<see cref="OperatorRollback"/>, the dashboard's and the API's) commits through the same clone; it moves traffic
    /// ahead of its commit when the host registered a <see cref="WarmSwitch"/>.
    /// </summary>
    public static IServiceCollection AddDashboard(this IServiceCollection services, AgentOptions options, Serilog.ILogger log)
    {
        var repository = new ConfigRepository(new ConfigRepositoryOptions
        {
            Url = options.ConfigRepo,
            WorkDirectory = Path.Combine(options.WorkDir, "config-repo-dashboard"),
            Branch = options.Branch ?? "main",
            Token = options.ConfigRepoToken,
        }, log);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(services => new OperatorSessions(options, services.GetRequiredService<TimeProvider>()));
        services.AddSingleton(services => new StatusFeed(services.GetRequiredService<StatusBoard>()));
        // Created by a factory so the container disposes it with the agent.
        services.AddSingleton(_ => new DashboardHttp(new HttpClient { Timeout = TimeSpan.FromSeconds(5) }));
        services.AddSingleton(services => new DashboardReader(options, services.GetRequiredService<StatusBoard>(), repository,
            services.GetRequiredService<DashboardHttp>().Client, log));
        services.TryAddSingleton<EnvironmentGates>();
        services.AddSingleton(services => new OperatorRollback(repository, services.GetRequiredService<EnvironmentGates>(),
            services.GetRequiredService<SyncTrigger>(), services.GetRequiredService<StatusBoard>(), services.GetService<WarmSwitch>(),
            services.GetRequiredService<TimeProvider>(), log, services.GetService<RollbackHeadStart>()));
        services.AddSingleton(services => new DashboardActions(services.GetRequiredService<DashboardReader>(), repository,
            services.GetRequiredService<OperatorRollback>(), services.GetRequiredService<TimeProvider>(), log));
        return services;
    }
}

/// <summary>The HTTP client the dashboard asks the environments' /version with (owned, so the container disposes it).</summary>
public sealed class DashboardHttp(HttpClient client) : IDisposable
{
    public HttpClient Client { get; } = client;

    public void Dispose() => Client.Dispose();
}
