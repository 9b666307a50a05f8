using System.Net;
using System.Net.Sockets;

namespace Slipway.Edge.Contract.Loopback;

/// <summary>HTTP whose connections go to a unix socket (the edge's admin API, the registry behind the edge).</summary>
public static class UnixSocketHttp
{
    /// <summary>
    /// A handler that connects to <paramref name="socketPath"/> for every request, or only for those to
    /// <paramref name="forAddress"/> (host:port) when given, the others going over TCP as usual. No proxy, redirects,
    /// cookies or decompression.
    /// </summary>
    public static SocketsHttpHandler Handler(string socketPath, string? forAddress = null) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var endpoint = context.DnsEndPoint;
            var toSocket = forAddress is null || string.Equals($"{endpoint.Host}:{endpoint.Port}", forAddress, StringComparison.OrdinalIgnoreCase);
            var connection = toSocket
                ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await connection.ConnectAsync(toSocket ? new UnixDomainSocketEndPoint(socketPath) : endpoint, cancellationToken);
                return new NetworkStream(connection, ownsSocket: true);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        },
    };
}
