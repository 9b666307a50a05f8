namespace Slipway.Build.Tests;

public class AbsolutePathTests
{
    [Fact]
    public void Combines_normalizes_and_converts_to_string()
    {
        var root = AbsolutePath.Create("/repo/");
        var path = root / "src" / ".." / "tests" / "X.csproj";

        Assert.Equal("/repo/tests/X.csproj", (string)path);
        Assert.Equal("X.csproj", path.Name);
        Assert.Equal("X", path.NameWithoutExtension);
        Assert.Equal(".csproj", path.Extension);
        Assert.Equal(AbsolutePath.Create("/repo/tests"), path.Parent);
        Assert.Equal("tests/X.csproj", path.RelativeTo(root));
        Assert.True(root.Contains(path));
        Assert.False((root / "tests").Contains(root));
        Assert.Equal(root / "a", AbsolutePath.Resolve(root, "a"));
        Assert.Equal(AbsolutePath.Create("/elsewhere"), AbsolutePath.Resolve(root, "/elsewhere"));
    }

    [Fact]
    public void A_relative_path_is_refused_with_a_hint()
    {
        var error = Assert.Throws<ArgumentException>(() => AbsolutePath.Create("relative/dir"));
        Assert.Contains("RootDirectory / \"relative/dir\"", error.Message);
    }

    [Fact]
    public void Creates_cleans_globs_and_deletes()
    {
        using var root = new TempRoot();
        var directory = (root.Path / "a" / "b").CreateDirectory();
        (directory / "one.txt").WriteAllText("1");
        (root.Path / "a" / "two.txt").WriteAllText("2");

        Assert.Equal(["one.txt", "two.txt"], (root.Path / "a").GlobFiles("*.txt").Select(f => f.Name).Order());
        Assert.Equal(["two.txt"], (root.Path / "a").GlobFiles("*.txt", recursive: false).Select(f => f.Name));
        Assert.Equal("1", (directory / "one.txt").ReadAllText());

        directory.CreateOrCleanDirectory();
        Assert.True(directory.DirectoryExists());
        Assert.Empty(directory.GlobFiles("*"));

        (root.Path / "a").DeleteDirectory();
        Assert.False((root.Path / "a").Exists());
    }
}
