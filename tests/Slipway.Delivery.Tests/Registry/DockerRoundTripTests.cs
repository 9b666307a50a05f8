using Docker.DotNet;
using Docker.DotNet.Models;
using Slipway.Delivery.Docker;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;
using Slipway.Testing;
using Slipway.Delivery.Tests.Oci;

namespace Slipway.Delivery.Tests.Registry;

/// <summary>Real Docker engine and real registry: docker save -> layout -> push -> docker pull by digest.</summary>
[Trait("Tier", "Engine")]
public sealed class DockerRoundTripTests(SharedRegistry sharedRegistry) : IAsyncLifetime
{
    private RegistryFixture registry = null!; // the assembly's registry, set by InitializeAsync
    private readonly TempDirectory temp = new();
    private readonly TestLog log = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => registry = await sharedRegistry.StartAsync();

    public ValueTask DisposeAsync()
    {
        temp.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task An_image_saved_by_docker_converts_pushes_and_pulls_back_with_the_same_image_id()
    {
        using var docker = await DockerEngine.ConnectAsync(cancellationToken: Ct);
        var source = $"slipway-registry-test/archive:{Guid.NewGuid():N}";
        var repository = ImageReference.Parse($"{registry.Host}/roundtrip");
        string? pulled = null;
        try
        {
            // An image from a small tar (docker import), saved with the engine's own exporter.
            var tar = temp.Combine("root.tar");
            await TestImages.WriteTarAsync(tar, ("etc/greeting", "hello from docker import"), ("bin/tool", "#!/bin/sh\necho tool\n"));
            await using (var rootfs = File.OpenRead(tar))
                await docker.Images.CreateImageAsync(
                    new ImagesCreateParameters { FromSrc = "-", Repo = source.Split(':')[0], Tag = source.Split(':')[1] },
                    rootfs, null, new Progress<JSONMessage>(), Ct);
            var imageId = (await docker.Images.InspectImageAsync(source, Ct)).ID;
            var archive = temp.Combine("saved.tar");
            await using (var saved = await docker.Images.SaveImageAsync(source, Ct))
            await using (var file = File.Create(archive))
                await saved.CopyToAsync(file, Ct);

            var layout = await OciImageLayout.FromArchiveAsync(archive, temp.Combine("layout"), Ct);
            Assert.Equal(imageId, layout.Config.Digest);

            using var client = new RegistryClient(log.Logger, _ => null);
            var pushed = await client.PushAsync(layout, repository, ["1.0.0"], Ct);
            pulled = pushed.Pushed.ToString();

            var errors = new List<string>();
            await docker.Images.CreateImageAsync(
                new ImagesCreateParameters { FromImage = repository.ToString(), Tag = layout.Manifest.Digest }, null,
                new Progress<JSONMessage>(message => { if (message.Error is not null) lock (errors) errors.Add(message.Error.Message ?? "error"); }), Ct);
            Assert.Empty(errors);
            Assert.Equal(imageId, (await docker.Images.InspectImageAsync(pulled, Ct)).ID);
        }
        finally
        {
            await RemoveAsync(docker, source);
            if (pulled is not null) await RemoveAsync(docker, pulled);
        }
    }

    [Fact]
    public async Task An_image_docker_pushed_pulls_as_a_docker_manifest_and_pushes_elsewhere_with_the_same_digest()
    {
        using var docker = await DockerEngine.ConnectAsync(cancellationToken: Ct);
        var dockerPushed = ImageReference.Parse($"{registry.Host}/docker-pushed-{Guid.NewGuid().ToString("N")[..8]}:1");
        try
        {
            var tar = temp.Combine("root.tar");
            await TestImages.WriteTarAsync(tar, ("etc/origin", "pushed by docker"));
            await using (var rootfs = File.OpenRead(tar))
                await docker.Images.CreateImageAsync(
                    new ImagesCreateParameters { FromSrc = "-", Repo = dockerPushed.WithoutTagOrDigest().ToString(), Tag = dockerPushed.Tag },
                    rootfs, null, new Progress<JSONMessage>(), Ct);
            var errors = new List<string>();
            await docker.Images.PushImageAsync(dockerPushed.ToString(), new ImagePushParameters(), new AuthConfig(),
                new Progress<JSONMessage>(message => { if (message.Error is not null) lock (errors) errors.Add(message.Error.Message ?? "error"); }), Ct);
            Assert.Empty(errors);

            using var client = new RegistryClient(log.Logger, _ => null);
            var digest = await client.ResolveDigestAsync(dockerPushed, Ct);
            Assert.NotNull(digest);
            var pulled = await client.PullAsync(dockerPushed, temp.Combine("pulled"), Ct);
            Assert.Equal(digest, pulled.Manifest.Digest);
            Assert.Equal(OciMediaTypes.DockerManifest, pulled.Manifest.MediaType);

            var copy = ImageReference.Parse($"{registry.Host}/copied");
            var pushed = await client.PushAsync(pulled, copy, ["1"], Ct);
            Assert.Equal(digest, pushed.Pushed.Digest);
            Assert.Equal(2, pushed.BlobsMounted);
        }
        finally
        {
            await RemoveAsync(docker, dockerPushed.ToString());
        }
    }

    private static async Task RemoveAsync(DockerClient docker, string image)
    {
        try
        {
            await docker.Images.DeleteImageAsync(image, new ImageDeleteParameters { Force = true }, CancellationToken.None);
        }
        catch (DockerImageNotFoundException)
        {
        }
    }
}
