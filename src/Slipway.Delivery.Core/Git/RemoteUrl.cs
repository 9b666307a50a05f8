namespace Slipway.Delivery.Git;

/// <summary>A Git remote's URL may carry a token (https://user:token@host/...): these mask it before anything is logged.</summary>
public static class RemoteUrl
{
    /// <summary>The URL with its credentials masked as ***.</summary>
    public static string Redact(string remote) => Redact(remote, remote);

    /// <summary><paramref name="text"/> with the credentials of <paramref name="remote"/>'s URL masked.</summary>
    public static string Redact(string remote, string text) =>
        Uri.TryCreate(remote, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.UserInfo)
            ? text.Replace(uri.UserInfo, "***", StringComparison.Ordinal).Replace(Uri.UnescapeDataString(uri.UserInfo), "***", StringComparison.Ordinal)
            : text;

    /// <summary>The URL with its user name and password removed, for display.</summary>
    public static string WithoutCredentials(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.UserInfo)
            ? url.Replace(uri.UserInfo + "@", "", StringComparison.Ordinal)
            : url;
}
