using System.Text;
using CliWrap;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Slipway.Delivery.Tests.ConfigRepo;

/// <summary>
/// A real Git smart-HTTP server on 127.0.0.1: Kestrel in front of git's own CGI (git http-backend), accepting only
/// requests that carry Basic auth with the expected token — like a Git host that takes a token.
/// </summary>
public sealed class GitHttpServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private int authorized;
    private int refused;

    private GitHttpServer(WebApplication app) => this.app = app;

    public string BaseUrl { get; private set; } = "";
    public int AuthorizedRequests => authorized;
    public int RefusedRequests => refused;

    public static async Task<GitHttpServer> StartAsync(string projectRoot, string user, string token)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new GitHttpServer(app);
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{token}"));
        app.Run(context => server.HandleAsync(context, projectRoot, expected));
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return server;
    }

    private async Task HandleAsync(HttpContext context, string projectRoot, string expectedAuthorization)
    {
        if (context.Request.Headers.Authorization != expectedAuthorization)
        {
            Interlocked.Increment(ref refused);
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"git\"";
            return;
        }
        Interlocked.Increment(ref authorized);
        var environment = new Dictionary<string, string?>
        {
            ["GIT_PROJECT_ROOT"] = projectRoot,
            ["GIT_HTTP_EXPORT_ALL"] = "1",
            ["REMOTE_USER"] = "slipway",          // enables receive-pack (push)
            ["REMOTE_ADDR"] = "127.0.0.1",
            ["REQUEST_METHOD"] = context.Request.Method,
            ["PATH_INFO"] = context.Request.Path.Value,
            ["QUERY_STRING"] = context.Request.QueryString.HasValue ? context.Request.QueryString.Value![1..] : "",
            ["CONTENT_TYPE"] = context.Request.ContentType ?? "",
            ["HTTP_CONTENT_ENCODING"] = context.Request.Headers.ContentEncoding.ToString(),
            ["GIT_PROTOCOL"] = context.Request.Headers["Git-Protocol"].ToString(),
        };
        using var output = new MemoryStream();
        await Cli.Wrap("/usr/lib/git-core/git-http-backend")
            .WithEnvironmentVariables(environment)
            .WithStandardInputPipe(PipeSource.FromStream(context.Request.Body))
            .WithStandardOutputPipe(PipeTarget.ToStream(output))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync();

        // CGI response: header lines, a blank line, the body.
        var bytes = output.ToArray();
        var split = IndexOf(bytes, "\r\n\r\n"u8, out var separatorLength);
        var headers = Encoding.ASCII.GetString(bytes, 0, split).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var header in headers)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            var name = header[..colon];
            var value = header[(colon + 1)..].Trim();
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase)) context.Response.StatusCode = int.Parse(value[..3], System.Globalization.CultureInfo.InvariantCulture);
            else context.Response.Headers[name] = value;
        }
        await context.Response.Body.WriteAsync(bytes.AsMemory(split + separatorLength));
    }

    private static int IndexOf(byte[] bytes, ReadOnlySpan<byte> separator, out int length)
    {
        var index = bytes.AsSpan().IndexOf(separator);
        if (index >= 0) { length = separator.Length; return index; }
        length = 2;
        return bytes.AsSpan().IndexOf("\n\n"u8);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
