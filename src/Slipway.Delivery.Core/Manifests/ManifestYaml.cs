using System.Text;
using k8s;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Slipway.Delivery.Manifests;

/// <summary>
/// Writes Kubernetes objects as canonical YAML: keys sorted ordinally at every level (as kubectl prints them),
/// multi-line strings as literal blocks, "\n" line ends, no anchors — so the same objects always give the same bytes.
/// </summary>
public static class ManifestYaml
{
    public static string Serialize(object kubernetesObject)
    {
        // KubernetesYaml knows the model's field names, IntOrString, quantities and quoting; we only canonicalise its output.
        var stream = new YamlStream();
        stream.Load(new StringReader(KubernetesYaml.Serialize(kubernetesObject)));
        var root = Canonical(stream.Documents[0].RootNode);

        var builder = new StringBuilder();
        using (var writer = new StringWriter(builder) { NewLine = "\n" })
        {
            var emitter = new Emitter(writer, new EmitterSettings(bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false,
                maxSimpleKeyLength: 1024, skipAnchorName: true, indentSequences: true, newLine: "\n"));
            emitter.Emit(new StreamStart());
            emitter.Emit(new DocumentStart(null, null, isImplicit: true));
            new YamlDocument(root).RootNode.Accept(new EmittingVisitor(emitter));
            emitter.Emit(new DocumentEnd(isImplicit: true));
            emitter.Emit(new StreamEnd());
        }
        var text = builder.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
        return text.EndsWith('\n') ? text : text + "\n";
    }

    /// <summary>
    /// Counts the YAML documents in a text; <paramref name="problem"/> explains a syntax error (with line and column) or
    /// an alias. Aliases are refused on the parser's events, before anything is deserialized: a few kilobytes of nested
    /// aliases expand to gigabytes, and rendered manifests never use them.
    /// </summary>
    public static int CountDocuments(string text, out string? problem)
    {
        problem = null;
        var count = 0;
        try
        {
            var parser = new Parser(new StringReader(text));
            while (parser.MoveNext())
            {
                if (parser.Current is DocumentStart) count++;
                if (parser.Current is AnchorAlias alias)
                {
                    problem = $"line {alias.Start.Line}, column {alias.Start.Column}: alias *{alias.Value} — YAML aliases are refused; write the values out";
                    return count;
                }
            }
        }
        catch (YamlException exception)
        {
            problem = $"line {exception.Start.Line}, column {exception.Start.Column}: {exception.Message}";
        }
        return count;
    }

    /// <summary>
    /// The image of a Deployment's first container (spec.template.spec.containers[0].image), read from the YAML tree
    /// without the Kubernetes model; null when the text has none or is not one valid document. What a rollback needs
    /// from the files: the model's deserializer costs a fresh process about half a second to set up, several seconds on
    /// a loaded machine, which an incident's MTTR should not pay.
    /// </summary>
    public static string? DeploymentImage(string deploymentYaml)
    {
        if (CountDocuments(deploymentYaml, out var problem) != 1 || problem is not null) return null;
        var stream = new YamlStream();
        stream.Load(new StringReader(deploymentYaml));
        YamlNode? node = stream.Documents[0].RootNode;
        foreach (var key in (string[])["spec", "template", "spec", "containers"])
            node = Child(node, key);
        return Child((node as YamlSequenceNode)?.Children.FirstOrDefault(), "image") is YamlScalarNode { Value: { Length: > 0 } image } ? image : null;

        static YamlNode? Child(YamlNode? node, string key) =>
            node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;
    }

    private static YamlNode Canonical(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new YamlMappingNode(mapping.Children
            .OrderBy(pair => ((YamlScalarNode)pair.Key).Value, StringComparer.Ordinal)
            .Select(pair => new KeyValuePair<YamlNode, YamlNode>(pair.Key, Canonical(pair.Value)))),
        YamlSequenceNode sequence => new YamlSequenceNode(sequence.Children.Select(Canonical)),
        YamlScalarNode { Value: { } value } scalar when value.Contains('\n') && !value.Contains('\t') &&
                                                          !value.Split('\n').Any(line => line.EndsWith(' ')) =>
            new YamlScalarNode(value) { Style = ScalarStyle.Literal, Tag = scalar.Tag },
        _ => node,
    };

    /// <summary>Emits a representation node tree event by event (YamlStream.Save would add document markers).</summary>
    private sealed class EmittingVisitor(IEmitter emitter) : IYamlVisitor
    {
        public void Visit(YamlStream stream) { }
        public void Visit(YamlDocument document) { }

        public void Visit(YamlScalarNode scalar) =>
            emitter.Emit(new Scalar(AnchorName.Empty, scalar.Tag, scalar.Value ?? "", scalar.Style,
                isPlainImplicit: scalar.Tag.IsEmpty, isQuotedImplicit: scalar.Tag.IsEmpty));

        public void Visit(YamlSequenceNode sequence)
        {
            emitter.Emit(new SequenceStart(AnchorName.Empty, sequence.Tag, sequence.Tag.IsEmpty, SequenceStyle.Block));
            foreach (var child in sequence.Children) child.Accept(this);
            emitter.Emit(new SequenceEnd());
        }

        public void Visit(YamlMappingNode mapping)
        {
            emitter.Emit(new MappingStart(AnchorName.Empty, mapping.Tag, mapping.Tag.IsEmpty, MappingStyle.Block));
            foreach (var (key, value) in mapping.Children)
            {
                key.Accept(this);
                value.Accept(this);
            }
            emitter.Emit(new MappingEnd());
        }
    }
}
