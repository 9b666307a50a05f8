using System.Security.Cryptography;
using System.Text;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Tests.Manifests;

public sealed class ConfigHashTests
{
    [Fact]
    public void Hashes_keys_in_ordinal_order_with_nul_separators()
    {
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("B.json\0{}\0a.json\0{\"x\":1}\0")));

        Assert.Equal(expected, ConfigHash.Compute(new Dictionary<string, string> { ["a.json"] = "{\"x\":1}", ["B.json"] = "{}" }));
        Assert.Equal(expected, ConfigHash.Compute(new Dictionary<string, string> { ["B.json"] = "{}", ["a.json"] = "{\"x\":1}" }));
    }

    [Fact]
    public void Key_and_value_boundaries_matter() =>
        Assert.NotEqual(ConfigHash.Compute(new Dictionary<string, string> { ["ab"] = "c" }),
                        ConfigHash.Compute(new Dictionary<string, string> { ["a"] = "bc" }));
}
