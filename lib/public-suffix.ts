// Public suffixes: names under which anyone can register a domain, so a cookie for one of them
// would reach every site below it (RFC 6265 §5.3 step 5). Source: the Public Suffix List
// (https://publicsuffix.org/list/), a subset: its implicit "*" rule (every top-level label),
// the common multi-label ICANN suffixes, and widely used shared-hosting suffixes from its
// private section. Names not listed here are treated as registrable.

const SUFFIXES: ReadonlySet<string> = new Set([
  // United Kingdom, Australia, New Zealand
  "co.uk", "org.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk", "ac.uk", "gov.uk", "sch.uk", "nhs.uk", "police.uk",
  "com.au", "net.au", "org.au", "edu.au", "gov.au", "asn.au", "id.au",
  "co.nz", "net.nz", "org.nz", "govt.nz", "ac.nz", "school.nz", "geek.nz", "gen.nz", "kiwi.nz",
  // East and South-East Asia
  "co.jp", "ne.jp", "or.jp", "ac.jp", "ad.jp", "ed.jp", "go.jp", "gr.jp", "lg.jp",
  "co.kr", "ne.kr", "or.kr", "re.kr", "pe.kr", "go.kr", "ac.kr",
  "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "ac.cn",
  "com.hk", "net.hk", "org.hk", "edu.hk", "gov.hk", "idv.hk",
  "com.tw", "net.tw", "org.tw", "edu.tw", "gov.tw", "idv.tw",
  "com.sg", "net.sg", "org.sg", "edu.sg", "gov.sg", "per.sg",
  "com.my", "com.ph", "com.vn", "co.id", "co.th",
  // South Asia, Middle East, Africa
  "co.in", "net.in", "org.in", "firm.in", "gen.in", "ind.in", "ac.in", "edu.in", "res.in", "gov.in",
  "com.pk", "co.il", "org.il", "net.il", "ac.il", "gov.il", "muni.il", "com.sa", "co.ae",
  "com.eg", "com.ng", "co.za", "net.za", "org.za", "gov.za", "ac.za", "web.za",
  // The Americas
  "com.br", "net.br", "org.br", "gov.br", "edu.br", "art.br", "blog.br",
  "com.ar", "net.ar", "org.ar", "gob.ar", "edu.ar",
  "com.mx", "net.mx", "org.mx", "gob.mx", "edu.mx",
  // Europe
  "com.tr", "net.tr", "org.tr", "gen.tr", "biz.tr", "info.tr", "gov.tr", "edu.tr", "k12.tr",
  "com.ru", "net.ru", "org.ru", "msk.ru", "spb.ru",
  "com.ua", "net.ua", "org.ua", "in.ua", "kiev.ua",
  "com.pl", "net.pl", "org.pl", "com.es", "nom.es", "org.es", "gob.es", "edu.es",
  "asso.fr", "com.fr", "gouv.fr", "nom.fr", "gov.it", "edu.it",
  // Private section: shared hosting where each customer gets a subdomain
  "github.io", "githubusercontent.com", "gitlab.io", "bitbucket.io", "herokuapp.com", "herokussl.com",
  "netlify.app", "vercel.app", "now.sh", "pages.dev", "workers.dev", "r2.dev", "trycloudflare.com",
  "blogspot.com", "appspot.com", "firebaseapp.com", "web.app", "cloudfront.net", "s3.amazonaws.com",
  "elasticbeanstalk.com", "azurewebsites.net", "cloudapp.net", "fly.dev", "onrender.com", "glitch.me",
  "readthedocs.io", "surge.sh", "deno.dev", "ngrok.io", "repl.co",
]);

/** True when `domain` (lower-case, no leading dot) is a public suffix: a top-level label or a listed suffix. */
export function isPublicSuffix(domain: string): boolean {
  // The list's implicit "*" rule: any single label (com, uk, local, localhost) is a public suffix.
  if (!domain.includes(".")) return true;
  return SUFFIXES.has(domain);
}
