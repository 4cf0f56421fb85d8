// A RawSocket handed over to the caller as a Web-style duplex (readable + writable): reads stop
// when the readable's queue is full, writes wait for the socket to drain.
import type { RawSocket, SocketAddress } from "./runtime/socket.ts";

/** A connection taken out of hansom's hands by `Response.detach()`. */
export interface DetachedSocket {
  readable: ReadableStream<Uint8Array<ArrayBuffer>>;
  writable: WritableStream<Uint8Array>;
  peer: SocketAddress;
  local: SocketAddress;
  close(): Promise<void>;
}

/** Wraps a socket nobody else reads any more. */
export function detachedSocket(sock: RawSocket): DetachedSocket {
  let ctrl!: ReadableStreamDefaultController<Uint8Array<ArrayBuffer>>;
  let readableDone = false;
  const readable = new ReadableStream<Uint8Array<ArrayBuffer>>(
    {
      start(c) {
        ctrl = c;
      },
      pull() {
        sock.resume();
      },
      cancel() {
        readableDone = true;
        sock.destroy();
      },
    },
    { highWaterMark: 64 * 1024, size: (c) => c.byteLength },
  );
  sock.setHandler({
    data(chunk) {
      if (readableDone) return;
      // Socket adapters read into plain ArrayBuffers, never shared memory.
      ctrl.enqueue(chunk as Uint8Array<ArrayBuffer>);
      if ((ctrl.desiredSize ?? 0) <= 0) sock.pause();
    },
    end() {
      if (readableDone) return;
      readableDone = true;
      ctrl.close();
    },
    error(err) {
      if (readableDone) return;
      readableDone = true;
      ctrl.error(err);
    },
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (!sock.write(chunk)) await sock.drain();
    },
    close() {
      // Half-close is not in the RawSocket contract: the socket stays open for the reply;
      // the DetachedSocket's close() ends it.
    },
    abort() {
      sock.destroy();
    },
  });
  return {
    readable,
    writable,
    peer: sock.remote,
    local: sock.local,
    close: async () => {
      sock.destroy();
      if (!readableDone) {
        readableDone = true;
        try {
          ctrl.close();
        } catch {
          // already closed or errored
        }
      }
    },
  };
}
