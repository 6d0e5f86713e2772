using System.Xml;
using System.Xml.Schema;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The IHE ADX profile's official content-independent schema, <c>adx_loose.xsd</c> with the SDMX common
/// schemas it imports, vendored unchanged under <c>Resources/adx-ihe2015</c> (see NOTICE.md there). The
/// schema is compiled once; its imports are read from that folder only, never from the network.
/// </summary>
internal static class OfficialAdxSchema
{
    public const string Namespace = "urn:ihe:qrph:adx:2015";

    /// <summary>The vendored folder in the test output.</summary>
    public static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Resources", "adx-ihe2015");

    private static readonly Lazy<XmlSchemaSet> Schemas = new(Compile, LazyThreadSafetyMode.ExecutionAndPublication);

    // A compiled XmlSchemaSet is only read while validating, but the framework promises no thread
    // safety for its instance members: validations take turns.
    private static readonly Lock Gate = new();

    /// <summary>
    /// Every reason the document is not a valid ADX message under the official schema, each with its line
    /// and position: schema validation errors, a root element other than ADX's <c>adx</c>, or XML that is
    /// not well-formed (validation stops there). Empty when the document is valid.
    /// </summary>
    public static IReadOnlyList<string> Validate(byte[] document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var schemas = Schemas.Value;
        var errors = new List<string>();
        var settings = new XmlReaderSettings
        {
            ValidationType = ValidationType.Schema,
            Schemas = schemas,
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
        };
        settings.ValidationEventHandler += (_, e) => errors.Add($"line {e.Exception.LineNumber}, position {e.Exception.LinePosition}: {e.Message}");

        lock (Gate)
        {
            using var stream = new MemoryStream(document, writable: false);
            using var reader = XmlReader.Create(stream, settings);
            var lineInfo = (IXmlLineInfo)reader;
            try
            {
                var rootSeen = false;
                while (reader.Read())
                {
                    if (reader.NodeType == XmlNodeType.Element && !rootSeen)
                    {
                        rootSeen = true;
                        if (reader.LocalName != "adx" || reader.NamespaceURI != Namespace)
                        {
                            errors.Add($"line {lineInfo.LineNumber}, position {lineInfo.LinePosition}: The root element is '{reader.LocalName}' in namespace '{reader.NamespaceURI}', not 'adx' in namespace '{Namespace}'.");
                        }
                    }
                }
            }
            catch (XmlException ex)
            {
                errors.Add($"line {ex.LineNumber}, position {ex.LinePosition}: Not well-formed XML: {ex.Message}");
            }
        }

        return errors;
    }

    private static XmlSchemaSet Compile()
    {
        var resolver = new VendoredFolderResolver(Folder);
        var problems = new List<string>();
        var schemas = new XmlSchemaSet { XmlResolver = resolver };
        schemas.ValidationEventHandler += (_, e) => problems.Add($"{e.Severity} at {e.Exception.SourceUri} line {e.Exception.LineNumber}: {e.Message} {e.Exception.InnerException?.Message}".TrimEnd());
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = resolver };
        using (var reader = XmlReader.Create(new Uri(Path.Combine(Folder, "adx_loose.xsd")).AbsoluteUri, settings))
        {
            schemas.Add(Namespace, reader);
        }

        schemas.Compile();
        // An import that could not be read is only a warning to XmlSchemaSet; here it is fatal.
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"The vendored ADX schema in {Folder} does not load cleanly:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
        }

        return schemas;
    }

    /// <summary>Opens files inside the vendored folder and refuses every other URI.</summary>
    private sealed class VendoredFolderResolver(string directory) : XmlResolver
    {
        private readonly string _root = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;

        public override object GetEntity(Uri absoluteUri, string? role, Type? ofObjectToReturn)
        {
            ArgumentNullException.ThrowIfNull(absoluteUri);
            if (ofObjectToReturn is not null && ofObjectToReturn != typeof(Stream) && ofObjectToReturn != typeof(object))
            {
                throw new XmlException($"Only streams are resolved, not {ofObjectToReturn}.");
            }

            var path = absoluteUri.IsFile ? Path.GetFullPath(absoluteUri.LocalPath) : null;
            if (path is null || !path.StartsWith(_root, StringComparison.Ordinal))
            {
                throw new XmlException($"{absoluteUri} is outside the vendored ADX schema folder {_root}; nothing else is resolved.");
            }

            return File.OpenRead(path);
        }
    }
}
