using Slipway.Delivery.Platform;

namespace Slipway.Delivery.Tests.Platform;

public sealed class AptSourcesTests
{
    [Fact]
    public void Reads_the_suite_deb822_and_one_line_sources_and_skips_others()
    {
        using var apt = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(apt.Path, "sources.list.d"));
        File.WriteAllText(Path.Combine(apt.Path, "sources.list"), """
            # a comment
            deb http://mirror.example/debian bookworm main contrib
            deb-src http://mirror.example/debian bookworm main
            deb [arch=amd64] http://other.example/repo stable main
            """);
        File.WriteAllText(Path.Combine(apt.Path, "sources.list.d", "debian.sources"), """
            Types: deb
            # http://snapshot.debian.org/archive/debian/20250520T000000Z
            URIs: http://deb.debian.org/debian
            Suites: bookworm bookworm-updates
            Components: main
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

            Types: deb
            URIs: http://deb.debian.org/debian-security
            Suites: bookworm-security
            Components: main
            Enabled: no

            Types: deb
            URIs: https://deb.nodesource.com/node_20.x
            Suites: nodistro
            Components: main
            """);
        File.WriteAllText(Path.Combine(apt.Path, "sources.list.d", "vendor.list.disabled"), "deb http://vendor.example bookworm main\n");

        var mirrors = AptSources.Read("bookworm", apt.Path);

        Assert.Equal(
        [
            "deb http://mirror.example/debian bookworm main contrib",
            "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main",
            "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main",
        ], mirrors);
    }

    [Fact]
    public void No_source_for_the_suite_is_a_clear_error()
    {
        using var apt = new TempDirectory();
        File.WriteAllText(Path.Combine(apt.Path, "sources.list"), "deb http://archive.ubuntu.com/ubuntu noble main\n");

        var error = Assert.Throws<PlatformSetupException>(() => AptSources.Read("bookworm", apt.Path));

        Assert.Contains("bookworm", error.Message);
        Assert.Contains("default base image", error.Message);
    }

    [Fact]
    public void The_recipe_tag_changes_with_its_inputs_only()
    {
        var recipe = new DebianBaseRecipe("bookworm", ["deb http://deb.debian.org/debian bookworm main"], DebianBaseRecipe.DefaultPackages);
        var reordered = recipe with { Packages = DebianBaseRecipe.DefaultPackages.Reverse().ToList() };
        var withIcu = recipe with { Packages = [.. DebianBaseRecipe.DefaultPackages, "libicu72"] };
        var otherMirror = recipe with { Mirrors = ["deb http://snapshot.debian.org/archive/debian/20250520T000000Z bookworm main"] };

        Assert.Matches("^bookworm-[0-9a-f]{12}$", recipe.Tag);
        Assert.Equal(recipe.Tag, reordered.Tag);
        Assert.NotEqual(recipe.Tag, withIcu.Tag);
        Assert.NotEqual(recipe.Tag, otherMirror.Tag);
    }
}
