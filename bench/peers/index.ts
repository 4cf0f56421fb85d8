// Which clients run on which runtime, and how to load one by name. Each is imported only when
// asked for, so Deno and Bun never resolve undici, and Node never loads the Bun client.
import type { Peer } from "./peer.ts";

export type Runtime = "node" | "deno" | "bun";

/** The clients of each runtime: the reference (ratios' denominator) first, then the raw ones. */
export const PEERS: Record<Runtime, string[]> = {
  node: ["undici.request", "raw", "hansom", "hansom/fetch", "undici.fetch", "node:http", "fetch"],
  deno: ["fetch", "raw", "hansom"],
  bun: ["fetch", "raw-bun", "hansom", "raw"],
};

/**
 * The clients of each runtime that speak HTTP/2 (workloads H1, H2), reference first. Node's
 * global fetch is not here: it cannot be given an h2 dispatcher without undici itself (that is
 * undici.fetch). Bun's fetch speaks h2 only when asked (`protocol: "http2"`), as its peer does.
 */
export const H2_PEERS: Record<Runtime, string[]> = {
  node: ["undici.request", "hansom", "undici.fetch", "node:http2"],
  deno: ["fetch", "hansom"],
  bun: ["fetch", "hansom"],
};

/** What the ratios of each runtime are taken against. */
export const REFERENCE: Record<Runtime, string> = { node: "undici.request", deno: "fetch", bun: "fetch" };

/** Each runtime's practical limit: the raw client on its fastest socket API. */
export const RAW: Record<Runtime, string> = { node: "raw", deno: "raw", bun: "raw-bun" };

/** One-line descriptions, for tables and the README. */
export const DESCRIPTIONS: Record<string, string> = {
  hansom: "hansom request() with a Pool",
  "hansom/fetch": "hansom's WHATWG fetch() facade (hansom/fetch) with a Pool",
  raw: "raw keep-alive node:net client, onread into one reused buffer",
  "raw-bun": "the raw client on Bun.connect",
  "undici.request": "undici.request with an undici Pool",
  "undici.fetch": "undici.fetch with an undici Pool",
  "node:http": "node:http with a keep-alive Agent",
  "node:http2": "node:http2, one session, session.request per GET",
  fetch: "the runtime's global fetch",
};

/** The runtime this process is. */
export function detectRuntime(): Runtime {
  const g = globalThis as Record<string, unknown>;
  return typeof g["Deno"] === "object" ? "deno" : typeof g["Bun"] === "object" ? "bun" : "node";
}

/** Loads the client `name` for `origin`; an https origin is HTTP/2, its certificate signed by `ca` (PEM). */
export async function loadPeer(name: string, origin: string, ca?: string): Promise<Peer> {
  switch (name) {
    case "hansom":
      return (await import("./hansom.ts")).hansomPeer(origin, ca);
    case "raw":
      return (await import("./raw-net.ts")).rawNetPeer(origin);
    case "raw-bun":
      return (await import("./raw-bun.ts")).rawBunPeer(origin);
    case "undici.request":
      return (await import("./undici.ts")).undiciRequestPeer(origin, ca);
    case "undici.fetch":
      return (await import("./undici.ts")).undiciFetchPeer(origin, ca);
    case "node:http":
      return (await import("./node-http.ts")).nodeHttpPeer(origin);
    case "node:http2":
      return (await import("./node-http2.ts")).nodeHttp2Peer(origin, ca);
    case "fetch":
      return (await import("./fetch.ts")).globalFetchPeer(origin, ca);
    case "hansom/fetch":
      return (await import("./fetch.ts")).hansomFetchPeer(origin);
    default:
      throw new Error(`unknown client ${JSON.stringify(name)}; known: ${Object.keys(DESCRIPTIONS).join(", ")}`);
  }
}
