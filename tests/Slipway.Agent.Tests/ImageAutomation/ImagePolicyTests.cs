using Slipway.Agent.ImageAutomation;

namespace Slipway.Agent.Tests.ImageAutomation;

/// <summary>Which tag a policy picks: semver ranges, pre-releases, numerical vs alphabetical extracted keys, bad policies.</summary>
public sealed class ImagePolicyTests
{
    static readonly string[] Releases = ["1.0.0", "1.2.0", "1.10.0", "2.0.0", "1.11.0-rc.1", "latest", "main-abc1234-7", "v1.9.3"];

    [Theory]
    [InlineData(">=1.0.0 <2.0.0", "1.10.0")]
    [InlineData("^1.0", "1.10.0")]
    [InlineData("~1.2", "1.2.0")]
    [InlineData(">=1.0.0", "2.0.0")]
    [InlineData("1.9.x || 1.0.x", "v1.9.3")]
    [InlineData("<1.0.0", null)]
    public void A_semver_range_picks_the_highest_release_inside_it(string range, string? expected) =>
        Assert.Equal(expected, ImagePolicy.ForSemver(range).SelectLatest(Releases)?.Tag);

    [Fact]
    public void Pre_releases_are_excluded_unless_asked_for()
    {
        Assert.Equal("1.10.0", ImagePolicy.ForSemver(">=1.0.0 <2.0.0").SelectLatest(Releases)!.Tag);
        Assert.Equal("1.11.0-rc.1", ImagePolicy.ForSemver(">=1.0.0 <2.0.0", includePrerelease: true).SelectLatest(Releases)!.Tag);
        // npm's rule: a bound naming a pre-release of the same version admits that version's pre-releases.
        Assert.Equal("1.11.0-rc.1", ImagePolicy.ForSemver(">=1.11.0-rc.0 <2.0.0").SelectLatest(Releases)!.Tag);
    }

    [Fact]
    public void Semver_is_compared_by_precedence_not_as_text()
    {
        var selection = ImagePolicy.ForSemver("*").SelectLatest(["1.9.0", "1.10.0", "1.2.0"]);
        Assert.Equal(new PolicySelection("1.10.0", "1.10.0"), selection);
    }

    [Fact]
    public void Extracted_keys_order_numerically_or_alphabetically()
    {
        string[] builds = ["main-aaaaaaa-9", "main-bbbbbbb-10", "main-ccccccc-100", "feature-ddddddd-999", "main-eeeeeee-x"];
        const string pattern = @"^main-[a-f0-9]{7}-(?<build>[0-9]+)$";

        var numerical = ImagePolicy.ForOrder(TagOrdering.Numerical, pattern, "$build").SelectLatest(builds);
        var alphabetical = ImagePolicy.ForOrder(TagOrdering.Alphabetical, pattern, "$build").SelectLatest(builds);
        var lowest = ImagePolicy.ForOrder(TagOrdering.Numerical, pattern, "${build}", descending: true).SelectLatest(builds);

        Assert.Equal(new PolicySelection("main-ccccccc-100", "100"), numerical);
        Assert.Equal(new PolicySelection("main-aaaaaaa-9", "9"), alphabetical);   // "9" > "100" character by character
        Assert.Equal(new PolicySelection("main-aaaaaaa-9", "9"), lowest);
    }

    [Fact]
    public void Timestamps_order_alphabetically_and_a_pattern_without_extract_sorts_whole_tags()
    {
        string[] tags = ["2026-11-27T10-00-00Z", "2026-11-28T09-30-00Z", "2026-11-28T09-05-00Z", "stable"];
        var policy = ImagePolicy.ForOrder(TagOrdering.Alphabetical, @"^\d{4}-\d{2}-\d{2}T", extract: null);
        Assert.Equal("2026-11-28T09-30-00Z", policy.SelectLatest(tags)!.Tag);
    }

    [Fact]
    public void Semver_can_be_extracted_from_a_longer_tag()
    {
        var policy = ImagePolicy.ForSemver(">=1.0.0 <2.0.0", pattern: @"^beacon-(?<version>.+)-linux$", extract: "$version");
        Assert.Equal("beacon-1.4.0-linux", policy.SelectLatest(["beacon-1.4.0-linux", "beacon-2.1.0-linux", "1.9.0", "beacon-1.3.9-linux"])!.Tag);
    }

    [Fact]
    public void Ties_go_to_the_ordinally_greatest_tag_whatever_the_registry_order()
    {
        var policy = ImagePolicy.ForOrder(TagOrdering.Numerical, @"^(b|a)-(?<n>\d+)$", "$n");
        Assert.Equal("b-5", policy.SelectLatest(["a-5", "b-5", "a-1"])!.Tag);
        Assert.Equal("b-5", policy.SelectLatest(["b-5", "a-1", "a-5"])!.Tag);
    }

    [Fact]
    public void No_tags_or_no_matching_tag_selects_nothing()
    {
        Assert.Null(ImagePolicy.ForSemver(">=1.0.0").SelectLatest([]));
        Assert.Null(ImagePolicy.ForOrder(TagOrdering.Numerical, @"^build-(?<n>\d+)$", "$n").SelectLatest(["latest", "1.0.0"]));
    }

    [Fact]
    public void Bad_policies_are_refused_with_the_field_and_the_fix()
    {
        Assert.Contains("semver.range 'one point oh'", Assert.Throws<ImagePolicyException>(() => ImagePolicy.ForSemver("one point oh")).Message);
        Assert.Contains("semver.range is empty", Assert.Throws<ImagePolicyException>(() => ImagePolicy.ForSemver(" ")).Message);
        Assert.Contains("filterTags.pattern '(unclosed'", Assert.Throws<ImagePolicyException>(
            () => ImagePolicy.ForOrder(TagOrdering.Numerical, "(unclosed", null)).Message);
        var unknownGroup = Assert.Throws<ImagePolicyException>(() => ImagePolicy.ForOrder(TagOrdering.Numerical, @"^b-(?<n>\d+)$", "$build")).Message;
        Assert.Contains("group 'build'", unknownGroup);
        Assert.Contains("(?<build>...)", unknownGroup);
        Assert.Contains("needs filterTags.pattern", Assert.Throws<ImagePolicyException>(() => ImagePolicy.ForOrder(TagOrdering.Alphabetical, null, "$n")).Message);
    }
}
