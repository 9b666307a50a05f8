namespace Slipway.Delivery.Registry;

/// <summary>A user name and password (or token) for a registry. Never logged: ToString hides the password.</summary>
public sealed record RegistryCredentials(string Username, string Password)
{
    public override string ToString() => $"RegistryCredentials {{ Username = {Username}, Password = *** }}";
}
