/**
 * `npm run docs:diagram [-- --stack dev|prod] [--plan plan.json] [--width 800]`: renders the
 * architecture diagram of each stack's offline plan (or of a saved plan) to
 * `.build/diagram-<stack>.png` at a pull request's width, and prints how large its text comes out.
 * Exits 1 when the text would be smaller than MIN_TEXT_PX at that width, so "readable at 800 px" is a
 * number, not an impression; then look at the PNG.
 *
 * Needs Debian's Chromium (`apt-get install -y chromium`) and runs a pinned Mermaid CLI with
 * `npx -y` (downloaded once into npm's cache), so neither becomes a dependency of the project.
 * GitHub renders the ```mermaid block itself and scales the SVG down to the comment's width
 * (~800 px), which is why the SVG's natural width decides the text size. Images are build output:
 * never commit them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { renderDiagram } from "../engine/diagram";
import { readPlanFile } from "../engine/policy-run/files";

const ROOT = path.resolve(__dirname, "..");
const CHROMIUM = "/usr/bin/chromium";
/** The Mermaid CLI checked with; GitHub's renderer is also Mermaid 11 with the dagre layout. */
const MERMAID_CLI = "@mermaid-js/mermaid-cli@11.17.0";
/** Mermaid's flowchart font size (themeVariables.fontSize default "16px"). */
const FONT_PX = 16;
/** Below this, labels in a pull-request comment need zooming. */
export const MIN_TEXT_PX = 11;

const USAGE = `usage: npm run docs:diagram [-- --stack dev|prod] [--plan <plan.json>] [--width 800]

Renders each stack's architecture diagram (from the offline plan, or from --plan) to
.build/diagram-<stack>.png and prints the text size at --width; exits 1 when it is below ${MIN_TEXT_PX} px.`;

/** The text size, in px, of a diagram whose SVG is `natural` px wide, shown `width` px wide. */
export function textPxAt(natural: number, width: number): number {
  return FONT_PX * Math.min(1, width / natural);
}

function planStack(stack: string, out: string): void {
  const r = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "engine/cli/plan.ts"), "--stack", stack, "--quiet", "--no-baseline", "--json", out], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  // Exit 1 (a mandatory violation) still writes the plan, and the diagram is still worth a look.
  if (r.status !== 0 && r.status !== 1) throw new Error(`planning ${stack} failed (exit ${r.status}):\n${r.stderr}`);
}

function render(planFile: string, stack: string, width: number): boolean {
  const dir = mkdtempSync(path.join(tmpdir(), "diagram-"));
  try {
    const source = path.join(dir, "diagram.mmd");
    writeFileSync(source, renderDiagram(readPlanFile(planFile)));
    writeFileSync(path.join(dir, "puppeteer.json"), JSON.stringify({ executablePath: CHROMIUM, args: ["--no-sandbox"] }));
    // Puppeteer's install would download its own Chrome: Debian's is the one used.
    const env = { ...process.env, PUPPETEER_SKIP_DOWNLOAD: "1" };
    const mmdc = (...args: string[]): void => void execFileSync("npx", ["-y", MERMAID_CLI, "-q", "-p", "puppeteer.json", "-i", source, ...args], { cwd: dir, stdio: "inherit", env });
    const svg = path.join(dir, "diagram.svg");
    mmdc("-o", svg);
    const natural = Number(/viewBox="[-\d.]+ [-\d.]+ ([\d.]+)/.exec(readFileSync(svg, "utf8"))?.[1] ?? NaN);
    mkdirSync(path.join(ROOT, ".build"), { recursive: true });
    const target = path.join(ROOT, ".build", `diagram-${stack}.png`);
    mmdc("-o", target, "-w", String(width), "-b", "white");
    const px = textPxAt(natural, width);
    const ok = px >= MIN_TEXT_PX;
    console.log(`${path.relative(ROOT, target)}: natural width ${Math.round(natural)} px, so ${FONT_PX} px text is ${px.toFixed(1)} px at ${width} px ${ok ? "(readable)" : `(below ${MIN_TEXT_PX} px)`}`);
    return ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): number {
  let args;
  try {
    args = parseArgs({ options: { stack: { type: "string", multiple: true }, plan: { type: "string" }, width: { type: "string", default: "800" }, help: { type: "boolean", short: "h" } } }).values;
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const width = Number(args.width);
  if (!Number.isInteger(width) || width < 200) {
    console.error(`error: --width must be a whole number of pixels (at least 200); found "${args.width}"`);
    return 2;
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`error: ${CHROMIUM} not found: install Debian's Chromium (apt-get install -y chromium)`);
    return 2;
  }
  const stacks = args.stack ?? (args.plan ? ["plan"] : ["dev", "prod"]);
  let ok = true;
  for (const stack of stacks) {
    let planFile = args.plan;
    if (!planFile) {
      planFile = path.join(ROOT, ".build", `plan-${stack}.json`);
      mkdirSync(path.dirname(planFile), { recursive: true });
      planStack(stack, planFile);
    }
    ok = render(planFile, stack, width) && ok;
  }
  return ok ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
