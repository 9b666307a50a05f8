using System.Net;
using System.Net.Sockets;

namespace Slipway.Edge.Contract.Loopback;

/// <summary>
/// Listening sockets two edge copies can hold at once (SO_REUSEPORT): during an upgrade the new copy binds the same
/// ports before the old one stops, so a port never goes unanswered. With net.ipv4.tcp_migrate_req=1 the kernel also
/// moves connections still queued on the closing copy's listener to the other one instead of resetting them.
/// </summary>
public static class SharedPortSocket
{
    const int SolSocket = 1;
    const int SoReusePort = 15;

    public static Socket Bind(EndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (OperatingSystem.IsLinux())
                socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            socket.Bind(endpoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether an edge copy could listen on <paramref name="endpoint"/> now: the port is free or held only by sockets
    /// that share it (another edge copy). False, with the reason, when a process that does not share holds it.
    /// </summary>
    public static bool CanShare(IPEndPoint endpoint, out string error)
    {
        try
        {
            using var socket = Bind(endpoint);
            socket.Listen();
            error = "";
            return true;
        }
        catch (SocketException exception)
        {
            error = exception.Message;
            return false;
        }
    }
}
