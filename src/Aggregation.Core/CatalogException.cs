namespace Aggregation;

/// <summary>A catalog file (hierarchy, programme, tenants) is invalid; <see cref="Errors"/> lists every problem found.</summary>
public sealed class CatalogException : Exception
{
    public CatalogException(string error)
        : this([error])
    {
    }

    public CatalogException(IReadOnlyList<string> errors)
        : base(errors.Count == 1 ? errors[0] : $"{errors.Count} problems:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors))
    {
        Errors = errors;
    }

    public CatalogException()
        : this("The catalog is invalid.")
    {
    }

    public CatalogException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public IReadOnlyList<string> Errors { get; } = [];

    /// <summary>
    /// What every catalog reader says of a <c>null</c> in a list, after the file, the list and the
    /// position. JSON allows one anywhere; unchecked, it would surface as a crash naming no file.
    /// </summary>
    internal const string NullEntry = "is null: write the entry or remove it from the list";
}
