// Copy the built browser files of the pinned npm packages into api/web/vendor/ and record
// their version and sha256 in api/web/vendor/VENDORED.json. Run: npm ci && npm run vendor
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "api", "web", "vendor");
const files = [
  { pkg: "cytoscape", from: "dist/cytoscape.min.js", to: "cytoscape.min.js" },
  { pkg: "chart.js", from: "dist/chart.umd.min.js", to: "chart.umd.min.js" },
];

mkdirSync(out, { recursive: true });
const record = {};
for (const { pkg, from, to } of files) {
  const meta = JSON.parse(readFileSync(join(here, "node_modules", pkg, "package.json"), "utf8"));
  copyFileSync(join(here, "node_modules", pkg, from), join(out, to));
  const sha256 = createHash("sha256").update(readFileSync(join(out, to))).digest("hex");
  record[to] = { package: pkg, version: meta.version, license: meta.license, source: `${pkg}/${from}`, sha256 };
  console.log(`${to}: ${pkg}@${meta.version} sha256 ${sha256}`);
}
writeFileSync(join(out, "VENDORED.json"), JSON.stringify(record, null, 2) + "\n");
