using System.Globalization;

namespace Beacon.Hosting;

/// <summary>Where Beacon listens: ASPNETCORE_URLS (or --urls) when set, else PORT on all interfaces, else Kestrel's default.</summary>
public static class ListenAddress
{
    public const string PortVariable = "PORT";

    /// <summary>The URL to listen on for <paramref name="port"/>, or null to leave Kestrel's own choice.</summary>
    public static string? FromPort(string? urls, string? port)
    {
        if (!string.IsNullOrWhiteSpace(urls) || string.IsNullOrWhiteSpace(port))
            return null;
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > 65535)
            throw new InvalidOperationException(
                $"PORT is '{port}', which is not a TCP port (0 to 65535). Set PORT to the port to listen on, or ASPNETCORE_URLS to full URLs.");
        // All interfaces: Beacon runs in a container whose port the platform publishes (on 127.0.0.1).
        return $"http://0.0.0.0:{number}";
    }
}
