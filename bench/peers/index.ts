// Which clients run on which runtime, and how to load one by name. Each is imported only when
// asked for, so Deno and Bun never resolve undici, and Node never loads the Bun client.
import type { Peer } from "./peer.ts";

export type Runtime = "node" | "deno" | "bun";

/** The clients of each runtime: the reference (ratios' denominator) first, then the raw ones. */
export const PEERS: Record<Runtime, string[]> = {
  node: ["undici.request", "raw", "hansom", "undici.fetch", "node:http", "fetch"],
  deno: ["fetch", "raw", "hansom"],
  bun: ["fetch", "raw-bun", "hansom", "raw"],
};

/** What the ratios of each runtime are taken against. */
export const REFERENCE: Record<Runtime, string> = { node: "undici.request", deno: "fetch", bun: "fetch" };

/** Each runtime's practical limit: the raw client on its fastest socket API. */
export const RAW: Record<Runtime, string> = { node: "raw", deno: "raw", bun: "raw-bun" };

/** One-line descriptions, for tables and the README. */
export const DESCRIPTIONS: Record<string, string> = {
  hansom: "hansom request() with a Pool",
  raw: "raw keep-alive node:net client, onread into one reused buffer",
  "raw-bun": "the raw client on Bun.connect",
  "undici.request": "undici.request with an undici Pool",
  "undici.fetch": "undici.fetch with an undici Pool",
  "node:http": "node:http with a keep-alive Agent",
  fetch: "the runtime's global fetch",
};

/** The runtime this process is. */
export function detectRuntime(): Runtime {
  const g = globalThis as Record<string, unknown>;
  return typeof g["Deno"] === "object" ? "deno" : typeof g["Bun"] === "object" ? "bun" : "node";
}

/** Loads the client `name` for `origin`. */
export async function loadPeer(name: string, origin: string): Promise<Peer> {
  switch (name) {
    case "hansom":
      return (await import("./hansom.ts")).hansomPeer(origin);
    case "raw":
      return (await import("./raw-net.ts")).rawNetPeer(origin);
    case "raw-bun":
      return (await import("./raw-bun.ts")).rawBunPeer(origin);
    case "undici.request":
      return (await import("./undici.ts")).undiciRequestPeer(origin);
    case "undici.fetch":
      return (await import("./undici.ts")).undiciFetchPeer(origin);
    case "node:http":
      return (await import("./node-http.ts")).nodeHttpPeer(origin);
    case "fetch":
      return (await import("./fetch.ts")).globalFetchPeer(origin);
    default:
      throw new Error(`unknown client ${JSON.stringify(name)}; known: ${Object.keys(DESCRIPTIONS).join(", ")}`);
  }
}
