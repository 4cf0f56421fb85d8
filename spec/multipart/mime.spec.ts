import { test } from "node:test";
import assert from "node:assert/strict";
import { contentTypeFor } from "../../lib/mime.ts";

test("mime - contentTypeFor maps common extensions, any case", () => {
  const cases: Array<[string, string]> = [
    ["a.txt", "text/plain"],
    ["index.HTML", "text/html"],
    ["s.css", "text/css"],
    ["app.js", "text/javascript"],
    ["m.mjs", "text/javascript"],
    ["d.json", "application/json"],
    ["f.xml", "application/xml"],
    ["t.csv", "text/csv"],
    ["p.png", "image/png"],
    ["p.JPG", "image/jpeg"],
    ["p.jpeg", "image/jpeg"],
    ["g.gif", "image/gif"],
    ["w.webp", "image/webp"],
    ["v.svg", "image/svg+xml"],
    ["favicon.ico", "image/vnd.microsoft.icon"],
    ["doc.pdf", "application/pdf"],
    ["a.zip", "application/zip"],
    ["a.tar.gz", "application/gzip"],
    ["a.tar", "application/x-tar"],
    ["s.mp3", "audio/mpeg"],
    ["v.mp4", "video/mp4"],
    ["v.webm", "video/webm"],
    ["m.wasm", "application/wasm"],
    ["f.woff", "font/woff"],
    ["f.woff2", "font/woff2"],
    ["/srv/www/x.y/report.csv", "text/csv"],
    ["C:\\Users\\me\\photo.png", "image/png"],
  ];
  for (const [path, type] of cases) assert.equal(contentTypeFor(path), type, path);
});

test("mime - contentTypeFor defaults to application/octet-stream", () => {
  for (const path of [
    "",
    "noext",
    "archive.unknownext",
    ".bashrc",
    "dir.d/file",
    "trailing.",
    "a.constructor",
    "a.__proto__",
    "a.toString",
  ]) {
    assert.equal(contentTypeFor(path), "application/octet-stream", path);
  }
});
