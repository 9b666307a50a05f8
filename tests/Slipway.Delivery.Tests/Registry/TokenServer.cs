using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Slipway.Delivery.Registry;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Registry;

/// <summary>
/// A token service for the distribution registry's token authentication (the Bearer challenge flow): checks Basic
/// credentials and issues RS256 JWTs (x5c header, self-signed certificate the registry trusts through rootcertbundle)
/// granting the requested scopes. Runs on 127.0.0.1 with HttpListener.
/// </summary>
internal sealed class TokenServer : IAsyncDisposable
{
    public const string Service = "slipway-test-registry";
    public const string Issuer = "slipway-test-issuer";

    private readonly HttpListener listener = new();
    private readonly RSA key = RSA.Create(2048);
    private readonly X509Certificate2 certificate;
    private readonly RegistryCredentials accepted;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private int issued;

    private TokenServer(string directory, RegistryCredentials accepted)
    {
        this.accepted = accepted;
        var request = new CertificateRequest("CN=slipway-test-token-issuer", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        RootCertBundle = Path.Combine(directory, "token-root.pem");
        File.WriteAllText(RootCertBundle, certificate.ExportCertificatePem());
        var port = FreePort.Next();
        Realm = $"http://127.0.0.1:{port}/token";
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        loop = ServeAsync();
    }

    public string Realm { get; }
    public string RootCertBundle { get; }
    public int TokensIssued => Volatile.Read(ref issued);

    /// <summary>The registry config's auth section (indented for RegistryFixture.StartAsync).</summary>
    public string AuthSection => $"""
          token:
            realm: {Realm}
            service: {Service}
            issuer: {Issuer}
            rootcertbundle: {RootCertBundle}
        """;

    public static TokenServer Start(string directory, RegistryCredentials accepted) => new(directory, accepted);

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().WaitAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            try
            {
                await AnswerAsync(context);
            }
            catch (Exception exception)
            {
                context.Response.StatusCode = 500;
                await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(exception.Message));
                context.Response.Close();
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var user = Authenticate(context.Request.Headers["Authorization"]);
        if (user is null)
        {
            context.Response.StatusCode = 401;
            context.Response.Close();
            return;
        }
        var scopes = context.Request.QueryString.GetValues("scope") ?? [];
        var token = Token(user, context.Request.QueryString["service"] ?? Service, scopes);
        Interlocked.Increment(ref issued);
        var body = JsonSerializer.SerializeToUtf8Bytes(new { token, access_token = token, expires_in = 300 });
        context.Response.ContentType = "application/json";
        await context.Response.OutputStream.WriteAsync(body);
        context.Response.Close();
    }

    private string? Authenticate(string? header)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.Ordinal)) return null;
        var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..]));
        return decoded == $"{accepted.Username}:{accepted.Password}" ? accepted.Username : null;
    }

    private string Token(string subject, string audience, IEnumerable<string> scopes)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var access = scopes.Select(scope =>
        {
            // repository:<name>:<actions>; the name itself holds no ':' (the registry host is not part of it).
            var first = scope.IndexOf(':');
            var last = scope.LastIndexOf(':');
            return new { type = scope[..first], name = scope[(first + 1)..last], actions = scope[(last + 1)..].Split(',') };
        }).ToArray();
        var header = new { typ = "JWT", alg = "RS256", x5c = new[] { Convert.ToBase64String(certificate.RawData) } };
        var claims = new { iss = Issuer, sub = subject, aud = audience, exp = now + 300, nbf = now - 10, iat = now, jti = Guid.NewGuid().ToString("N"), access };
        var signingInput = Base64Url(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Close();
        try
        {
            await loop;
        }
        catch (Exception)
        {
            // The loop ends with the listener; nothing to report.
        }
        stop.Dispose();
        certificate.Dispose();
        key.Dispose();
    }
}
