// Frames from the server (RFC 9113 §6), one at a time, applied to a session's state: the
// response of each stream, flow control, SETTINGS, PING, GOAWAY. A connection error is
// thrown (the session sends GOAWAY); a stream error is handled here by resetting the stream.
import {
  connectionError,
  errorName,
  FLOW_CONTROL_ERROR,
  H2Error,
  PROTOCOL_ERROR,
  REFUSED_STREAM,
  STREAM_CLOSED,
  streamError,
} from "./errors.ts";
import type { SessionCore } from "./core.ts";
import { encodePing, encodeSettingsAck, encodeWindowUpdate, MAX_WINDOW } from "./frame.ts";
import type { Frame } from "./frame.ts";
import { acceptFields, checkData } from "./response.ts";
import { applySettings } from "./settings.ts";
import { RESET } from "./streams.ts";

/** Applies one frame; throws H2Error for a connection error. */
export function onFrame(c: SessionCore, f: Frame): void {
  if (c.closed) return;
  if (!c.gotSettings) {
    // §3.4: the server's preface is a SETTINGS frame.
    if (f.type !== "SETTINGS" || f.ack)
      throw connectionError(PROTOCOL_ERROR, "the server's first frame is not SETTINGS");
    c.gotSettings = true;
  }
  // §6.10: nothing may come between the frames of one header block.
  if (c.block.streamId !== 0 && f.type !== "CONTINUATION") {
    throw connectionError(PROTOCOL_ERROR, `${f.type} frame inside the header block of stream ${c.block.streamId}`);
  }
  try {
    frame(c, f);
  } catch (e) {
    if (!(e instanceof H2Error) || e.streamId === 0) throw e;
    c.streamError(e);
  }
}

function frame(c: SessionCore, f: Frame): void {
  switch (f.type) {
    case "DATA":
      return data(c, f.streamId, f.data, f.flowLength, f.endStream);
    case "HEADERS": {
      const block = c.block.headers(f.streamId, f.endStream, f.endHeaders, f.fragment);
      if (block !== null) headerBlock(c, f.streamId, f.endStream, block);
      return;
    }
    case "CONTINUATION": {
      const { streamId, endStream } = c.block;
      const block = c.block.continuation(f.streamId, f.endHeaders, f.fragment);
      if (block !== null) headerBlock(c, streamId, endStream, block);
      return;
    }
    case "RST_STREAM": {
      const s = c.table.live(f.streamId, "RST_STREAM");
      if (s === null) return c.count("reset");
      c.closeStream(s, RESET);
      return c.h.onStreamReset(s.id, errorName(f.errorCode), f.errorCode === REFUSED_STREAM);
    }
    case "SETTINGS":
      return settings(c, f.ack, f.settings);
    case "PUSH_PROMISE":
      throw connectionError(PROTOCOL_ERROR, "PUSH_PROMISE though we sent SETTINGS_ENABLE_PUSH 0");
    case "PING":
      if (!f.ack) {
        c.count("ping");
        return c.send.write(encodePing(f.data, true));
      }
      return pingAck(c, f.data);
    case "GOAWAY":
      return goaway(c, f.lastStreamId, f.errorCode, f.debug);
    case "WINDOW_UPDATE":
      return windowUpdate(c, f.streamId, f.increment);
    default:
      return c.count("ignored"); // PRIORITY (§5.3.2) and unknown types (§5.5)
  }
}

function data(c: SessionCore, id: number, bytes: Uint8Array, flowLength: number, endStream: boolean): void {
  if (!c.connRecv.receive(flowLength)) {
    throw connectionError(
      FLOW_CONTROL_ERROR,
      `DATA of ${flowLength} bytes beyond the connection window (${c.connRecv.available} left)`,
    );
  }
  const s = c.table.live(id, "DATA");
  if (s === null || !s.receiving) {
    // §6.9: DATA on a closed stream still counts against the connection window.
    c.creditConnection(flowLength);
    if (s === null) return c.table.late(id, "DATA");
    throw streamError(id, STREAM_CLOSED, "DATA after END_STREAM");
  }
  if (!s.recv.receive(flowLength)) {
    throw connectionError(
      FLOW_CONTROL_ERROR,
      `DATA of ${flowLength} bytes on stream ${id} beyond its window (${s.recv.available} left)`,
    );
  }
  const len = bytes.length;
  // Padding is consumed on arrival; the data when the reader takes it.
  if (flowLength > len) {
    c.creditConnection(flowLength - len);
    const inc = s.recv.consume(flowLength - len);
    if (inc > 0) c.send.write(encodeWindowUpdate(id, inc));
  }
  const bad = checkData(s, len, endStream);
  if (bad !== null) {
    c.creditConnection(len);
    throw bad;
  }
  if (len > 0) c.flood.progress();
  else if (!endStream) c.count("empty");
  s.unconsumed += len;
  if (endStream) c.endRemote(s);
  c.h.onData(id, bytes, endStream);
}

function headerBlock(c: SessionCore, id: number, endStream: boolean, block: Uint8Array): void {
  const s = c.table.live(id, "HEADERS");
  // Decoded whatever the stream's state: the HPACK table must see every block (§4.3).
  const decoded = c.hpackIn.decode(block);
  if (s === null) return c.table.late(id, "HEADERS");
  if (!s.receiving) throw streamError(id, STREAM_CLOSED, "HEADERS after END_STREAM");
  c.flood.progress();
  const ev = acceptFields(s, decoded, endStream);
  if (ev.kind === "informational") return c.h.onInformational?.(id, ev.status, ev.fields);
  if (endStream) c.endRemote(s);
  if (ev.kind === "head") c.h.onHeaders(id, ev.status, ev.fields, endStream);
  else c.h.onTrailers(id, ev.fields);
}

function settings(c: SessionCore, ack: boolean, entries: Array<[number, number]>): void {
  if (ack) {
    if (c.settingsAcked) return c.count("ignored"); // we sent SETTINGS once
    c.settingsAcked = true;
    return;
  }
  c.count("settings");
  const prev = c.peer;
  const next = applySettings(prev, entries);
  c.peer = next;
  if (next.headerTableSize !== prev.headerTableSize) c.hpackOut.setPeerTableSize(next.headerTableSize);
  c.send.maxFrameSize = next.maxFrameSize;
  // §6.9.2: a new initial window shifts every open stream's window by the difference.
  const delta = next.initialWindowSize - prev.initialWindowSize;
  if (delta !== 0) {
    for (const s of c.table.map.values()) {
      if (s.state === "closed") continue;
      s.sendWindow += delta;
      if (s.sendWindow > MAX_WINDOW) {
        throw connectionError(
          FLOW_CONTROL_ERROR,
          `SETTINGS_INITIAL_WINDOW_SIZE takes stream ${s.id}'s window above 2^31-1`,
        );
      }
    }
  }
  c.send.write(encodeSettingsAck());
  if (delta > 0) c.flushAll();
  c.h.onSettings?.(next);
}

function pingAck(c: SessionCore, bytes: Uint8Array): void {
  const i = c.pings.findIndex((p) => p.every((b, k) => b === bytes[k]));
  if (i < 0) return c.count("ignored");
  c.pings.splice(i, 1);
  c.h.onPingAck?.(bytes);
}

function goaway(c: SessionCore, lastStreamId: number, code: number, debug: Uint8Array): void {
  // §6.8: the last stream id may only go down; a larger one later is ignored.
  const last = c.goaway === null ? lastStreamId : Math.min(lastStreamId, c.goaway.lastStreamId);
  c.goaway = { lastStreamId: last, code: errorName(code), debug: debug.slice() };
  c.h.onGoaway(last, c.goaway.code, c.goaway.debug);
  for (const s of [...c.table.map.values()]) {
    if (s.id <= last || s.state === "closed") continue;
    c.closeStream(s, RESET);
    c.h.onStreamReset(s.id, "REFUSED_STREAM", true);
  }
}

function windowUpdate(c: SessionCore, id: number, inc: number): void {
  if (id === 0) {
    if (inc === 0) throw connectionError(PROTOCOL_ERROR, "WINDOW_UPDATE of 0 for the connection");
    if (c.send.connWindow + inc > MAX_WINDOW) {
      throw connectionError(FLOW_CONTROL_ERROR, "WINDOW_UPDATE takes the connection window above 2^31-1");
    }
    c.send.connWindow += inc;
    return c.flushAll();
  }
  const s = c.table.live(id, "WINDOW_UPDATE");
  if (s === null) return c.count("ignored");
  if (inc === 0) throw streamError(id, PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
  if (s.sendWindow + inc > MAX_WINDOW)
    throw streamError(id, FLOW_CONTROL_ERROR, "WINDOW_UPDATE takes the stream window above 2^31-1");
  s.sendWindow += inc;
  c.flushStream(s);
}
