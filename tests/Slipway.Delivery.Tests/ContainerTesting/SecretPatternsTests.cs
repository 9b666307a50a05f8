using Slipway.Delivery.ContainerTesting;

namespace Slipway.Delivery.Tests.ContainerTesting;

/// <summary>The security check's recognition of secret-looking variables and files, without a container.</summary>
public sealed class SecretPatternsTests
{
    [Theory]
    [InlineData("DB_PASSWORD", "x", true)]
    [InlineData("GITHUB_TOKEN", "x", true)]
    [InlineData("AWS_REGION", "eu-west-1", true)]
    [InlineData("STRIPE_API_KEY", "x", true)]
    [InlineData("CERT", "-----BEGIN RSA PRIVATE KEY-----\nabc", true)]
    [InlineData("ASPNETCORE_HTTP_PORTS", "8080", false)]
    [InlineData("PATH", "/usr/bin:/bin", false)]
    public void Secret_looking_variables_are_recognised(string name, string value, bool secret) =>
        Assert.Equal(secret, SecretPatterns.IsSecretLookingVariable(name, value));

    [Theory]
    [InlineData("/root/.ssh/id_rsa", true)]
    [InlineData("/app/.env", true)]
    [InlineData("/app/.env.production", true)]
    [InlineData("/home/app/.npmrc", true)]
    [InlineData("/home/app/.git-credentials", true)]
    [InlineData("/root/.aws/credentials", true)]
    [InlineData("/app/appsettings.json", false)]
    [InlineData("/app/Beacon.dll", false)]
    public void Secret_looking_files_are_recognised(string path, bool secret) =>
        Assert.Equal(secret, SecretPatterns.IsSecretFileName(path));
}
