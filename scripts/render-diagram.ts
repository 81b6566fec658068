/**
 * Renders the architecture diagram of a plan to a PNG at a pull request's width, to look at it:
 *
 *   npm run plan -- --stack dev --quiet --no-baseline --json .build/plan-dev.json
 *   npx tsx scripts/render-diagram.ts .build/plan-dev.json .build/diagram-dev.png [width=800]
 *
 * Needs Debian's Chromium (`apt-get install -y chromium`) and runs the Mermaid CLI with `npx -y`
 * from a temporary folder, so neither becomes a dependency of the project. Images are build output:
 * never commit them. What to check by eye: every label legible at the given width (GitHub scales a
 * wider SVG down to the comment's ~800 px), logical names only, one box per service.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { renderDiagram } from "../engine/diagram";
import { readPlanFile } from "../engine/policy-runner";

const CHROMIUM = "/usr/bin/chromium";

function main(): number {
  const [planFile, output, widthArg] = process.argv.slice(2);
  if (!planFile || !output) {
    console.error("usage: npx tsx scripts/render-diagram.ts <plan.json> <out.png> [width=800]");
    return 2;
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`error: ${CHROMIUM} not found: install Debian's Chromium (apt-get install -y chromium)`);
    return 2;
  }
  const width = Number(widthArg ?? 800);
  const dir = mkdtempSync(path.join(tmpdir(), "diagram-"));
  const source = path.join(dir, "diagram.mmd");
  writeFileSync(source, renderDiagram(readPlanFile(planFile)));
  writeFileSync(path.join(dir, "puppeteer.json"), JSON.stringify({ executablePath: CHROMIUM, args: ["--no-sandbox"] }));
  const target = path.resolve(output);
  execFileSync("npx", ["-y", "@mermaid-js/mermaid-cli", "-i", source, "-o", target, "-w", String(width), "-b", "white", "-p", "puppeteer.json"], {
    cwd: dir,
    stdio: "inherit",
    // Puppeteer's install would download its own Chrome: Debian's is the one used.
    env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: "1" },
  });
  // The SVG's natural width tells how much a comment of `width` px scales it down (Mermaid's font is 16 px).
  const svg = path.join(dir, "diagram.svg");
  execFileSync("npx", ["-y", "@mermaid-js/mermaid-cli", "-i", source, "-o", svg, "-p", "puppeteer.json"], { cwd: dir, stdio: "ignore", env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: "1" } });
  const natural = Number(/viewBox="[\d.]+ [\d.]+ ([\d.]+)/.exec(readFileSync(svg, "utf8"))?.[1] ?? NaN);
  const png = readFileSync(target);
  const scale = Math.min(1, width / natural);
  console.log(`${target}: ${png.readUInt32BE(16)} × ${png.readUInt32BE(20)} px; natural width ${Math.round(natural)} px, so text is ~${(16 * scale).toFixed(1)} px at ${width} px`);
  return 0;
}

process.exitCode = main();
