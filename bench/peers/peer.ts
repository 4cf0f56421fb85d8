// The one interface every client in the bench is driven through. Every method checks the
// status and counts the body it read, so a client that skipped work would fail the check.

/** One HTTP client against the bench server's origin. */
export interface Peer {
  readonly name: string;
  /** GET `path`, read the whole body into memory; resolves to its byte count. */
  get(path: string): Promise<number>;
  /** GET `path`, iterate the body with `for await`, counting; resolves to the count. */
  download(path: string): Promise<number>;
  /** POST `path` with a chunked body from the generator; resolves to the count the server echoes. */
  upload(path: string, body: () => AsyncGenerator<Uint8Array>): Promise<number>;
  /** Closes its pool or sockets. */
  close(): Promise<void>;
}

/** The same connection limit for every client that takes one (above the 32 of workload B). */
export const MAX_CONNECTIONS = 64;

/** Throws unless `status` is 200. */
export function expect200(peer: string, status: number): void {
  if (status !== 200) throw new Error(`${peer}: status ${status}, expected 200`);
}

/** The server's upload answer (the byte count, as text) as a number. */
export function uploadCount(peer: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n))
    throw new Error(`${peer}: upload answer ${JSON.stringify(text.slice(0, 40))} is not a count`);
  return n;
}
