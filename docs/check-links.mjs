// Checks that every relative link in the project's Markdown resolves: README.md, docs/**,
// examples/** and bench/README.md. A link to a file must name one that exists; a link with a
// #fragment must name a heading (GitHub's anchor for it) or an explicit id in that file.
// Links with a scheme (https:, mailto:) are not fetched. Exits 1 and lists the broken links.
// Usage: node docs/check-links.mjs [file.md ...]   (no arguments: the whole set above)
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Markdown files under `dir`, recursively (node_modules and dot-directories skipped). */
function markdownUnder(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith(".") || name === "node_modules") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...markdownUnder(p));
    else if (name.endsWith(".md")) out.push(p);
  }
  return out;
}

function defaultFiles() {
  const files = [
    join(root, "README.md"),
    ...markdownUnder(join(root, "docs")),
    ...markdownUnder(join(root, "examples")),
  ];
  const bench = join(root, "bench", "README.md");
  if (existsSync(bench)) files.push(bench);
  return files.filter((f) => existsSync(f));
}

/** The text with fenced code blocks blanked (lines kept, so line numbers stay right). */
function withoutFences(text) {
  const lines = text.split("\n");
  let fence = null;
  return lines.map((line) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && line.trim() === m[1]) fence = null;
      return "";
    }
    if (m) {
      fence = m[1];
      return "";
    }
    return line;
  });
}

/** Inline code spans blanked, so `[a](b)` inside backticks is not a link. */
function withoutCodeSpans(line) {
  return line.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (s) => " ".repeat(s.length));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading) {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/<[^>]+>/g, "") // inline HTML tags
    .replace(/`/g, "")
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "").replace(/ /g, "-");
}

const anchorCache = new Map();

/** Every anchor a Markdown file defines: heading slugs (with -1, -2 for repeats) and HTML ids. */
function anchorsOf(file) {
  let set = anchorCache.get(file);
  if (set) return set;
  set = new Set();
  const seen = new Map();
  for (const line of withoutFences(readFileSync(file, "utf8"))) {
    const h = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = slug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      set.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:[^>]*\s)?(?:id|name)="([^"]+)"/g)) set.add(m[1]);
  }
  anchorCache.set(file, set);
  return set;
}

/** Link targets in a line: inline links and images, and reference definitions. */
function targetsIn(line) {
  const out = [];
  for (const m of line.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]);
  const ref = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(line);
  if (ref) out.push(ref[1]);
  return out;
}

/** Problems with one link target written in `file`, or null when it resolves. */
function check(file, target) {
  if (target === "") return "empty link";
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) return null; // https:, mailto:...
  const hash = target.indexOf("#");
  const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const fragment = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
  const dest = pathPart === "" ? file : resolve(dirname(file), pathPart);
  if (!existsSync(dest)) return `no such file: ${relative(root, dest)}`;
  if (fragment === null || fragment === "") return null;
  if (statSync(dest).isDirectory() || !dest.endsWith(".md"))
    return `#${fragment} points into a file that is not Markdown`;
  if (!anchorsOf(dest).has(fragment)) return `no heading for #${fragment} in ${relative(root, dest)}`;
  return null;
}

const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => resolve(f)) : defaultFiles();
let links = 0;
const broken = [];
for (const file of files) {
  const lines = withoutFences(readFileSync(file, "utf8"));
  lines.forEach((line, i) => {
    for (const target of targetsIn(withoutCodeSpans(line))) {
      links++;
      const problem = check(file, target);
      if (problem) broken.push(`${relative(root, file)}:${i + 1}: ${target}: ${problem}`);
    }
  });
}
for (const b of broken) console.error(b);
console.log(`docs:check: ${files.length} files, ${links} links, ${broken.length} broken`);
process.exit(broken.length === 0 ? 0 : 1);
