using Gpo.IO;

namespace Gpo.Tests;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-atomic-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Failed_write_keeps_the_old_content_and_leaves_no_temporary_file()
    {
        var path = Path.Combine(_folder, "a.txt");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("partial"u8);
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void Write_replaces_content_without_bom_and_creates_folders()
    {
        var path = Path.Combine(_folder, "sub", "b.txt");
        AtomicFile.WriteAllText(path, "first");
        AtomicFile.WriteAllText(path, "é");
        Assert.Equal(new byte[] { 0xC3, 0xA9 }, File.ReadAllBytes(path));
    }
}
