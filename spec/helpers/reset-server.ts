// A server that resets every connection as soon as it accepts it, run in a Node child process:
// node:net's resetAndDestroy() is what stages that fault, and Deno's and Bun's node:net lack it
// or do it differently, so the spec runs the same Node server whatever runtime it is on.
import { spawn } from "node:child_process";

const SOURCE = `
const net = require("node:net");
const srv = net.createServer((s) => s.resetAndDestroy());
srv.listen(0, "127.0.0.1", () => process.stdout.write(srv.address().port + "\\n"));
process.stdin.on("end", () => process.exit(0)).resume();
`;

/** Starts the resetting server; close() ends the child. */
export async function resetOnAcceptServer(): Promise<{ url: string; close(): Promise<void> }> {
  const child = spawn("node", ["-e", SOURCE], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Uint8Array) => {
      out += new TextDecoder().decode(c);
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`reset server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.stdin!.end();
      }),
  };
}
