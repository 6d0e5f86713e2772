using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.IdentityModel.Tokens;

namespace Aggregation.Security;

/// <summary>One HMAC-SHA256 signing key with its id (the token header's <c>kid</c>).</summary>
public sealed record SigningKey(string Id, byte[] Secret)
{
    /// <summary>Shorter secrets are refused: HS256 needs at least 256 bits to be worth having.</summary>
    public const int MinimumBytes = 32;

    public SymmetricSecurityKey ToSecurityKey() => new(Secret) { KeyId = Id };

    public static SigningKey Generate() =>
        new($"k-{DateTime.UtcNow:yyyyMMdd}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant()}", RandomNumberGenerator.GetBytes(MinimumBytes));

    public static SigningKey FromBase64(string id, string secret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(secret ?? "");
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"Signing key '{id}': the secret is not base64.");
        }

        return bytes.Length >= MinimumBytes
            ? new SigningKey(id, bytes)
            : throw new InvalidOperationException($"Signing key '{id}': the secret has {bytes.Length} bytes; at least {MinimumBytes} are required.");
    }
}

/// <summary>
/// The signing-key file: <c>{"keys":[{"id":…,"secret":base64},…]}</c>. The first key signs new
/// tokens; every key listed validates, so a key is rotated by adding the new one first, waiting out
/// the longest token lifetime, then removing the old one.
/// </summary>
public static class SigningKeyFile
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Beside the private database: /var/lib/aggregation for root, else the user's local data folder.</summary>
    public static string DefaultPath() => Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root"
        ? "/var/lib/aggregation/signing-keys.json"
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "aggregation", "signing-keys.json");

    public static IReadOnlyList<SigningKey> Load(string path)
    {
        FileModel? model;
        try
        {
            model = JsonSerializer.Deserialize<FileModel>(File.ReadAllText(path), Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"Signing-key file {path} is not valid JSON: {ex.Message}");
        }

        var keys = (model?.Keys ?? []).Select(k => SigningKey.FromBase64(k.Id ?? "", k.Secret ?? "")).ToList();
        return keys.Count > 0 ? keys : throw new InvalidOperationException($"Signing-key file {path} lists no keys.");
    }

    /// <summary>Loads the file, or creates it with one new key readable by its owner only.</summary>
    public static IReadOnlyList<SigningKey> LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            return Load(path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var key = SigningKey.Generate();
        var text = JsonSerializer.Serialize(new FileModel { Keys = [new KeyModel { Id = key.Id, Secret = Convert.ToBase64String(key.Secret) }] }, Json);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var stream = new FileStream(path, options);
            using var writer = new StreamWriter(stream);
            writer.Write(text);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first: use theirs.
        }

        return Load(path);
    }

    private sealed class FileModel
    {
        [JsonPropertyName("keys")]
        public List<KeyModel>? Keys { get; set; }
    }

    private sealed class KeyModel
    {
        [JsonPropertyName("id")]
        public string? Id { get; set; }

        [JsonPropertyName("secret")]
        public string? Secret { get; set; }
    }
}
