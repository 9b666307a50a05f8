using Microsoft.Extensions.DependencyInjection.Extensions;
using Slipway.Agent.Verification;
using Slipway.Delivery.Registry;

namespace Slipway.Agent.ImageAutomation;

/// <summary>Registers image automation when the agent has an --image-automation file; without one nothing is added.</summary>
public static class ImageAutomationServices
{
    public static IServiceCollection AddImageAutomation(this IServiceCollection services, AgentOptions options, ILogger logger)
    {
        services.AddSingleton<ImageScanTrigger>();
        if (options.ImageAutomation is null) return services;
        var rules = ImageAutomationRules.Load(options.ImageAutomation);
        var configRepository = new AutomationConfigRepository(options.ConfigRepo, Path.Combine(options.WorkDir, "image-automation", "config-repo"),
            options.Branch, logger);
        services.TryAddSingleton(_ => new RegistryClient(logger));
        services.AddSingleton(provider => new ImageAutomationService(rules,
            new ImageScanner(provider.GetRequiredService<RegistryClient>(), configRepository,
                provider.GetRequiredService<ImageGate>(), $"image-automation/{options.Instance}", logger),
            provider.GetRequiredService<ImageScanTrigger>(), options.ImageScanInterval, logger));
        services.AddHostedService(provider => provider.GetRequiredService<ImageAutomationService>());
        return services;
    }
}
