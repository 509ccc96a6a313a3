using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gpo.Tests.Embeddings;

/// <summary>
/// A small HTTP server on 127.0.0.1 (a free port) for client tests. Each request is answered on its own
/// task by <c>respond(requestNumber, body, context)</c>; the server stops when disposed.
/// </summary>
internal sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Thread loop;
    private int requestCount;

    public LoopbackServer(Action<int, string, HttpListenerContext> respond)
    {
        // Find a free port (bind to port 0, read it, release it), then listen there.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        listener.Prefixes.Add(BaseUrl.AbsoluteUri);
        listener.Start();
        loop = new Thread(() =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try { context = listener.GetContext(); }
                catch (HttpListenerException) { return; }
                catch (ObjectDisposedException) { return; }
                catch (InvalidOperationException) { return; }
                var number = Interlocked.Increment(ref requestCount);
                Task.Run(() =>
                {
                    try
                    {
                        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                        var body = reader.ReadToEnd();
                        lock (Bodies) Bodies.Add(body);
                        Headers.Add(context.Request.Headers["Authorization"]);
                        respond(number, body, context);
                    }
                    catch (HttpListenerException) { }
                    catch (IOException) { }
                    catch (ObjectDisposedException) { }
                });
            }
        }) { IsBackground = true };
        loop.Start();
    }

    public Uri BaseUrl { get; }
    public int RequestCount => Volatile.Read(ref requestCount);
    public List<string> Bodies { get; } = [];
    public System.Collections.Concurrent.ConcurrentBag<string?> Headers { get; } = [];

    /// <summary>Writes a response with a status code, optional headers and a UTF-8 body.</summary>
    public static void Reply(HttpListenerContext context, int status, string body, params (string Name, string Value)[] headers)
    {
        context.Response.StatusCode = status;
        foreach (var (name, value) in headers) context.Response.Headers[name] = value;
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
        context.Response.Close();
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        loop.Join(TimeSpan.FromSeconds(5));
    }
}
