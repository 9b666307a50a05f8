using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Promotion;

/// <summary>An environment's promotion policy (from, approval, soak) as deploy/environments/&lt;env&gt;.yaml sets it.</summary>
public static class PromotionPolicy
{
    /// <exception cref="PromotionRefusedException">The environment has no promotion section; the message names the fix.</exception>
    public static EnvironmentSettings.PromotionSettings Of(string deployDirectory, string to)
    {
        var file = Path.Combine(deployDirectory, ManifestRenderer.EnvironmentsFolder, EnvironmentName.Require(to) + ".yaml");
        return EnvironmentSettings.Load(file).Promotion
               ?? throw new PromotionRefusedException(
                   $"{to} has no promotion policy: {file} has no 'promotion' section. Add one (from, approval, soakSeconds — see deploy/README.md), " +
                   $"or deploy to {to} directly with ./build.sh Deploy --environment {to}.");
    }
}

/// <summary>A promotion refused by a rule (no evidence, not soaked, not approved); nothing was committed. The message names the fix.</summary>
public sealed class PromotionRefusedException(string message) : Exception(message);
