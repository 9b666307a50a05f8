using Slipway.Build;
using Slipway.Delivery.ContainerTesting;
using Slipway.Delivery.Images;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Platform;
using Slipway.Delivery.Registry;
using Slipway.Delivery.SupplyChain;
using Slipway.Delivery.Versioning;

partial class Build
{
    [Parameter("Image builder: sdk (daemonless dotnet publish) or docker (Dockerfile through the engine)")]
    readonly ImageBuilderKind Builder = ImageBuilderKind.Sdk;

    [Parameter("The service to deliver: its .csproj, relative to the root (its directory holds the Dockerfile)")]
    readonly string ServiceProject = "src/Beacon/Beacon.csproj";

    [Parameter("The service's repository name in the registry")]
    readonly string ImageName = "beacon";

    [Parameter("The HTTP port the service listens on inside its container")]
    readonly int ServicePort = 8080;

    [Parameter("ContainerTest fails when the p95 latency of its bounded load exceeds this many milliseconds")]
    readonly int P95BudgetMs = 500;

    [Parameter("Registry user for Push (default: ~/.docker/config.json or none)")]
    readonly string? RegistryUsername = null;

    [Parameter("Registry password or token for Push"), Secret]
    readonly string? RegistryPassword = null;

    AbsolutePath ImageFile => ArtifactsDirectory / ImageManifestFile.FileName;

    /// <summary>The base image pinned by digest (see BaseImageLock); in the source tree, so a change to it is a reviewed commit.</summary>
    AbsolutePath BaseImageLockFile => RootDirectory / "build" / "base-image.lock";

    Target UpdateBaseImageLock => _ => _
        .Description("Pins the base image Infrastructure provides by digest in build/base-image.lock (commit the file)")
        .DependsOn(Infrastructure)
        .Executes(() =>
        {
            var current = BaseImageLockFile.FileExists() ? BaseImageLock.Read(BaseImageLockFile) : new BaseImageLock(null, null);
            current.With(Platform!.BaseImage).Write(BaseImageLockFile);
            Log.Information("Pinned the {Source} base image {Image} in {File}", Platform.BaseImage.Source, Platform.BaseImage.Reference, BaseImageLockFile);
        });

    AbsolutePath ServiceDirectory => (RootDirectory / ServiceProject).Parent!;

    /// <summary>The version the image is stamped with, read from Git once per run.</summary>
    Task<ServiceVersion> ServiceVersionAsync => serviceVersion ??= GitVersioning.ReadAsync(RootDirectory, Log, CancellationToken);
    Task<ServiceVersion>? serviceVersion;

    Target Containerize => _ => _
        .Description("Builds the service's OCI image; its reference and digest go to .nuke/artifacts/image.json (up to date while its sources, version and base are)")
        .DependsOn(Compile, Infrastructure)
        .After(Test)
        .Inputs(() => [ServiceDirectory, RootDirectory / "Directory.Build.props", RootDirectory / "Directory.Packages.props", RootDirectory / "global.json",
            BaseImageLockFile])
        .InputValues(() => Builder, () => ImageName, () => ServicePort, () => Registry, () => Platform?.BaseImage.Reference.ToString())
        .InputValue(async () => await ServiceVersionAsync)
        .Outputs(() => [ImageFile])
        .UpToDateWhen(BuiltImageStillThereAsync)
        .Executes(async () =>
        {
            var version = await ServiceVersionAsync;
            var request = new ImageBuildRequest(
                new ServiceProject(RootDirectory / ServiceProject, ImageName, ServicePort),
                version,
                BaseImageLock.Read(BaseImageLockFile).Pin(Platform!.BaseImage, BaseImageLockFile),
                Registry,
                ArtifactsDirectory,
                await GitVersioning.ReadSourceUrlAsync(RootDirectory, CancellationToken),
                Builder);
            await ImageBuilds.BuildAsync(request, Log, CancellationToken);
        });

    /// <summary>The OCI layout image.json points at still holds its digest (Clean or a crash may have removed it).</summary>
    async Task<bool> BuiltImageStillThereAsync()
    {
        try
        {
            await ImageManifestFile.ReadBuiltImageAsync(ImageFile, CancellationToken);
            return true;
        }
        catch (ImageBuildException)
        {
            return false;
        }
    }

    AbsolutePath ContainerTestReportFile => ArtifactsDirectory / ContainerTestReport.FileName;

    Target ContainerTest => _ => _
        .Description("Runs the image as a container on 127.0.0.1: functional, security, compliance and performance checks (up to date while the image is)")
        .DependsOn(Containerize)
        .InputValues(() => ServicePort, () => P95BudgetMs)
        .Outputs(() => [ContainerTestReportFile])
        .Executes(async () =>
        {
            var image = await ImageManifestFile.ReadBuiltImageAsync(ImageFile, CancellationToken);
            var report = await ContainerTestSuite.RunAsync(image, new ContainerTestOptions
            {
                ArtifactsDirectory = ArtifactsDirectory,
                ContainerPort = ServicePort,
                P95Budget = TimeSpan.FromMilliseconds(P95BudgetMs),
                ThrowOnFailure = false,
            }, Log, CancellationToken);
            LogRenderable(report.ToTable());
            if (!report.Passed)
            {
                throw new InvalidOperationException(
                    $"Container test failed: {string.Join("; ", report.Failures.Select(f => $"{f.Name}: {f.Detail}"))}");
            }
        });

    Target Push => _ => _
        .Description("Pushes the tested image to the registry, verified by digest, signed, with its SBOM and provenance attested (up to date while the registry holds all that)")
        .DependsOn(ContainerTest)
        .Inputs(() => [ImageFile])
        .InputValues(() => RegistryUsername)
        // Up to date while the registry holds the image signed with this pipeline's key, and its attestations.
        .UpToDateWhen(async () =>
        {
            var image = await ImageManifestFile.ReadAsync(ImageFile, CancellationToken);
            using var registry = OpenRegistryClient();
            using var key = await OpenSigningKeyAsync();
            return await registry.HasManifestAsync(ImageReference.Parse(image.Reference), CancellationToken) &&
                   await ImageVerifier.VerifyAsync(registry, ImageReference.Parse(image.Reference), key.PublicKeyPem, VerificationMode.Enforce,
                       ct: CancellationToken) is ImageVerdict.Verified;
        })
        .Executes(async () =>
        {
            var image = await ImageManifestFile.ReadBuiltImageAsync(ImageFile, CancellationToken);
            using var registry = OpenRegistryClient();
            var result = await registry.PushAsync(image.Layout, image.Repository, image.Tags, CancellationToken);
            Log.Information(result.AlreadyPresent
                ? "{Reference} was already in the registry; tags {Tags} set"
                : "Pushed {Reference} with tags {Tags}", result.Pushed, image.Tags);
            await SignAndAttestAsync(image, registry);
        });

    RegistryClient OpenRegistryClient()
    {
        UsePlatformRegistryCredentials();
        return new(Log, RegistryUsername is null
            ? null // $DOCKER_CONFIG/config.json (the platform's) or ~/.docker/config.json, and their credential helpers
            : _ => new RegistryCredentials(RegistryUsername, RegistryPassword ?? ""));
    }
}
