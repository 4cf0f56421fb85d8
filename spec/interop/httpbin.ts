// httpbin (Debian's python3-httpbin) under gunicorn, on a free loopback port, for the interop
// suite: a real, independent server for content codings, cookies, redirects, statuses and
// echoes. Installed by .ci/interop.sh; when it is missing, startHttpbin rejects with the reason.
import { freePort, launch, need, running, workDir } from "./servers.ts";
import type { Running } from "./servers.ts";
import { join } from "node:path";

/** gunicorn serving httpbin:app at 127.0.0.1:port. */
export async function startHttpbin(): Promise<Running> {
  const gunicorn = need("gunicorn", ["/usr/bin/gunicorn"]);
  // The module of the python3 gunicorn runs under (its #! line), not of a python3 on PATH.
  need("python3-httpbin", ["/usr/lib/python3/dist-packages/httpbin/core.py"]);
  const dir = workDir("httpbin");
  const port = await freePort();
  const args = [
    "--bind",
    `127.0.0.1:${port}`,
    "--workers",
    "2",
    // Idle sync workers stop at once; this bounds a stop() that finds one busy.
    "--graceful-timeout",
    "1",
    "--pid",
    join(dir, "gunicorn.pid"),
    "--worker-tmp-dir",
    dir,
    "--error-logfile",
    join(dir, "error.log"),
    "httpbin:app",
  ];
  const child = await launch("httpbin", gunicorn, args, dir, [port], join(dir, "error.log"));
  return running(child, dir, port);
}
