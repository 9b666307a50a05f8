using Slipway.Delivery.Platform;

namespace Slipway.Delivery.Tests.Platform;

public sealed class SourceFingerprintTests
{
    private static void Write(string root, string relative, string text)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public void An_edited_or_added_source_file_changes_it_and_build_output_does_not()
    {
        using var root = new TempDirectory();
        Write(root.Path, "src/Agent/Agent.csproj", "<Project />");
        Write(root.Path, "src/Agent/Program.cs", "class Program {}");
        Write(root.Path, "Directory.Packages.props", "<Project />");
        string Fingerprint() => SourceFingerprint.Of(root.Path, ["src/Agent"], ["Directory.Packages.props", "missing.props"]);
        var first = Fingerprint();

        Assert.Equal(first, Fingerprint());   // stable
        Write(root.Path, "src/Agent/bin/Release/Agent.dll.json", "{}");
        Write(root.Path, "src/Agent/obj/Generated.cs", "// generated");
        Write(root.Path, "src/Agent/README.md", "notes");
        Assert.Equal(first, Fingerprint());   // build output and non-source files do not count

        Write(root.Path, "src/Agent/Program.cs", "class Program { }");
        var edited = Fingerprint();
        Assert.NotEqual(first, edited);
        Write(root.Path, "src/Agent/Sync/Loop.cs", "class Loop {}");
        var added = Fingerprint();
        Assert.NotEqual(edited, added);
        Write(root.Path, "Directory.Packages.props", "<Project><ItemGroup /></Project>");
        Assert.NotEqual(added, Fingerprint());
    }

    [Fact]
    public void A_file_moved_to_another_folder_changes_it()
    {
        using var root = new TempDirectory();
        Write(root.Path, "src/Agent/A/Thing.cs", "class Thing {}");
        var before = SourceFingerprint.Of(root.Path, ["src/Agent"]);
        File.Move(Path.Combine(root.Path, "src/Agent/A/Thing.cs"), Path.Combine(root.Path, "src/Agent/Thing.cs"));
        Assert.NotEqual(before, SourceFingerprint.Of(root.Path, ["src/Agent"]));
    }
}
