// A streaming proxy built on detach(): for each client, the proxy sends the request upstream
// with hansom, relays the status line and headers, then takes the upstream socket out of
// hansom's hands with res.detach() and passes its bytes on to the client as they come,
// framing and all, with backpressure both ways. Nothing of the body is parsed or buffered.
// Run: node examples/streaming-proxy.ts (Node 24) | deno run -A examples/streaming-proxy.ts | bun run examples/streaming-proxy.ts
import * as http from "node:http";
import * as net from "node:net";
import { once } from "node:events";
import { get, request } from "../lib/index.ts";

const listen = async (s: net.Server): Promise<number> => {
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return (s.address() as net.AddressInfo).port;
};

// The upstream: a chunked response that trickles out, one line every 40 ms.
const upstream = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "x-upstream-path": req.url ?? "" });
  let i = 0;
  const timer = setInterval(() => {
    res.write(`line ${++i} of 5\n`);
    if (i === 5) {
      clearInterval(timer);
      res.end();
    }
  }, 40);
});
const upstreamUrl = `http://127.0.0.1:${await listen(upstream)}`;

// Headers that describe one connection, not the message (RFC 9110 §7.6.1): never forwarded.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
]);

/** Reads one request head from a client socket (GET/HEAD only: no request body in this example). */
function readHead(client: net.Socket): Promise<{ method: string; path: string; headers: Array<[string, string]> }> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Uint8Array): void => {
      text += new TextDecoder("latin1").decode(chunk);
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      client.off("data", onData).off("end", onEnd);
      const [requestLine, ...fields] = text.slice(0, end).split("\r\n");
      const [method, path] = requestLine!.split(" ");
      const headers = fields.map((f): [string, string] => [
        f.slice(0, f.indexOf(":")),
        f.slice(f.indexOf(":") + 1).trim(),
      ]);
      resolve({ method: method!, path: path!, headers });
    };
    const onEnd = (): void => reject(new Error("client closed before sending a request head"));
    client.on("data", onData).on("end", onEnd);
  });
}

const proxy = net.createServer(async (client) => {
  try {
    const { method, path, headers } = await readHead(client);
    const forwarded = headers.filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase()));
    // Connection: close makes the end of the upstream socket the end of the response, so the
    // proxy needs no framing knowledge to know when it is done.
    const res = await request(method, upstreamUrl + path, {
      headers: [...forwarded, ["connection", "close"]],
      pool: false,
    });
    // Status line and headers as they came, in wire order and case (values are Latin-1).
    const head =
      [`HTTP/1.1 ${res.status} ${res.statusText}`, ...res.rawHeaders.map(([k, v]) => `${k}: ${v}`)].join("\r\n") +
      "\r\n\r\n";
    client.write(head, "latin1");
    if (res.body === null) return void client.end(); // HEAD, 204, 304: nothing follows
    // From here on the socket is ours: `buffer` holds bytes hansom had read but not parsed.
    const { socket, buffer, state } = await res.detach();
    console.log(`proxy: upstream socket detached (${state}), ${buffer.byteLength} bytes already read`);
    if (buffer.byteLength > 0) client.write(buffer);
    const reader = socket.readable.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      if (!client.write(r.value)) await once(client, "drain"); // the client's pace sets ours
    }
    await socket.close();
    client.end();
  } catch (e) {
    console.error("proxy:", e);
    client.destroy();
  }
});
const proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;

try {
  // A client talking to the proxy as if it were the origin: the lines arrive one by one.
  const started = Date.now();
  const res = await get(`${proxyUrl}/feed`, { pool: false });
  console.log(res.status, res.headers.get("content-type"), "x-upstream-path:", res.headers.get("x-upstream-path"));
  let text = "";
  for await (const chunk of res) {
    const s = new TextDecoder().decode(chunk);
    text += s;
    process.stdout.write(`  +${String(Date.now() - started).padStart(3)} ms  ${s}`);
  }
  if (text.split("\n").filter(Boolean).length !== 5) throw new Error("expected 5 lines");
  console.log("5 lines relayed as they were produced");
} finally {
  proxy.close();
  upstream.close();
}
