using Microsoft.FeatureManagement.FeatureFilters;

namespace Beacon.Greeting;

/// <summary>Gives Microsoft.FeatureManagement the caller's stable key, for targeting and variant allocation.</summary>
public sealed class UserTargetingContextAccessor(IHttpContextAccessor httpContextAccessor) : ITargetingContextAccessor
{
    public ValueTask<TargetingContext> GetContextAsync()
    {
        var context = httpContextAccessor.HttpContext;
        var user = context is null ? null : BeaconUser.Find(context);
        return ValueTask.FromResult(new TargetingContext { UserId = user, Groups = [] });
    }
}
