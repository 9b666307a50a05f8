using Beacon.Hosting;

namespace Beacon.Tests;

public sealed class ListenAddressTests
{
    [Fact]
    public void Port_means_all_interfaces_on_that_port() =>
        Assert.Equal("http://0.0.0.0:8080", ListenAddress.FromPort(urls: null, port: "8080"));

    [Fact]
    public void Urls_win_over_port() =>
        Assert.Null(ListenAddress.FromPort(urls: "http://127.0.0.1:5000", port: "8080"));

    [Fact]
    public void Neither_leaves_kestrels_default() =>
        Assert.Null(ListenAddress.FromPort(urls: null, port: " "));

    [Theory]
    [InlineData("http")]
    [InlineData("-1")]
    [InlineData("70000")]
    public void Bad_port_is_an_error_naming_it(string port)
    {
        var error = Assert.Throws<InvalidOperationException>(() => ListenAddress.FromPort(null, port));

        Assert.Contains($"PORT is '{port}'", error.Message);
    }
}
