// Picks the socket adapter for the running runtime. The adapters are imported by a computed
// specifier so the Web-only type check of lib/ never loads their runtime-specific types.
import type { SocketAdapter } from "./socket.ts";

type RuntimeName = SocketAdapter["runtime"];

/** The runtime this process is, by the globals each one defines. */
export function detectRuntime(): RuntimeName {
  const g = globalThis as Record<string, unknown>;
  if (typeof g["Deno"] === "object") return "deno";
  if (typeof g["Bun"] === "object") return "bun";
  return "node";
}

let adapter: SocketAdapter | undefined;
let loading: Promise<SocketAdapter> | undefined;

/** The adapter for this runtime, loaded once. */
export function getAdapter(): SocketAdapter | Promise<SocketAdapter> {
  if (adapter) return adapter;
  loading ??= (async () => {
    const name = detectRuntime();
    const mod = (await import(`./${name}.ts`)) as Record<string, SocketAdapter>;
    adapter = mod[`${name}Sockets`];
    if (!adapter) throw new Error(`hansom: no socket adapter for ${name}`);
    return adapter;
  })();
  return loading;
}

/** Replaces the adapter (fault-injection specs wrap the real one). Returns the previous one. */
export async function setAdapter(next: SocketAdapter | undefined): Promise<SocketAdapter> {
  const prev = await getAdapter();
  adapter = next ?? prev;
  return prev;
}
