namespace Slipway.Testing.Kubernetes;

/// <summary>A resource the SIMULATION serves: where it lives in the API, and which subresources it has.</summary>
internal sealed record SimulatedResourceType(string Group, string Version, string Plural, string Kind, bool Namespaced, bool StatusSubresource)
{
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>How the API server names the resource in messages: "deployments.apps", "configmaps".</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public static readonly SimulatedResourceType Namespaces = new("", "v1", "namespaces", "Namespace", Namespaced: false, StatusSubresource: true);
    public static readonly SimulatedResourceType ConfigMaps = new("", "v1", "configmaps", "ConfigMap", Namespaced: true, StatusSubresource: false);
    public static readonly SimulatedResourceType Services = new("", "v1", "services", "Service", Namespaced: true, StatusSubresource: true);
    public static readonly SimulatedResourceType Deployments = new("apps", "v1", "deployments", "Deployment", Namespaced: true, StatusSubresource: true);
    public static readonly SimulatedResourceType FluxKustomizations =
        new("kustomize.toolkit.fluxcd.io", "v1", "kustomizations", "Kustomization", Namespaced: true, StatusSubresource: true);
    // Argo CD's Application CRD has no status subresource: the controller writes status with the object.
    public static readonly SimulatedResourceType ArgoCdApplications =
        new("argoproj.io", "v1alpha1", "applications", "Application", Namespaced: true, StatusSubresource: false);
    public static readonly SimulatedResourceType HttpRoutes =
        new("gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", Namespaced: true, StatusSubresource: true);

    public static readonly IReadOnlyList<SimulatedResourceType> All =
        [Namespaces, ConfigMaps, Services, Deployments, FluxKustomizations, ArgoCdApplications, HttpRoutes];
}
