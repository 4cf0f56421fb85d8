// The runtime's own fetch against the same behaviour checks as hansom's, so that any check on
// which the runtime's fetch differs shows. A check the runtime's fetch genuinely fails is
// skipped here, for that runtime only, with the reason printed.
import { fetchBehaviour } from "./behaviour.ts";
import type { FetchImpl } from "./behaviour.ts";

const g = globalThis as { Deno?: unknown; Bun?: unknown };
const runtime = g.Bun !== undefined ? "bun" : g.Deno !== undefined ? "deno" : "node";

/** Where this runtime's own fetch is known to differ from the fetch standard. */
const SKIPS: Record<string, Record<string, string>> = {
  node: {},
  deno: {
    'POST a stream body without duplex: "half" is a TypeError':
      'Deno\'s fetch sends a stream body without duplex: "half"',
    "redirect follow: a 3xx without Location is returned as it is":
      "Deno's fetch gives a 3xx without Location an empty body (the server sent 5 bytes)",
    "statusText: the server's reason phrase is passed through":
      "Deno's fetch replaces the reason phrase with the standard one for the status",
  },
  bun: {
    "Response.url has no fragment": "Bun's fetch keeps the fragment in Response.url",
    "POST string body is sent with text/plain;charset=UTF-8": "Bun's fetch sends no Content-Type for a string body",
    'POST a stream body without duplex: "half" is a TypeError':
      'Bun\'s fetch sends a stream body without duplex: "half"',
    "redirect follow: 20 redirects are followed, the 21st is a TypeError": "Bun's fetch follows a 21st redirect",
    "redirect follow: 307 and 308 after POST keep the method and body":
      "Bun's fetch sends no Content-Type for a string body, so none after the 307 either",
    "network error: a refused connection is a TypeError with a cause":
      "Bun's fetch rejects a refused connection with a TypeError that has no cause (its code is on the error itself)",
  },
};

fetchBehaviour(`${runtime} fetch`, globalThis.fetch as FetchImpl, { skip: SKIPS[runtime] });
