/**
 * The rendering script's arithmetic and its command line. The rendering itself needs Chromium and the
 * Mermaid CLI (`npm run docs:diagram`, run by hand); the diagram's structure is checked without a
 * browser in test/engine/diagram.test.ts.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { MIN_TEXT_PX, textPxAt } from "../../scripts/render-diagram";

const root = path.resolve(__dirname, "../..");
/** The command as its npm script's tsx runs it: one `node --import tsx` process. */
const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", path.join(root, "scripts/render-diagram.ts"), ...args], { cwd: root, encoding: "utf8" });

describe("render-diagram", () => {
  it("scales 16 px text down by the SVG's natural width, never up", () => {
    expect(textPxAt(1600, 800)).toBe(8);
    expect(textPxAt(600, 800)).toBe(16);
    // The old diagram (1336 px wide) read at 9.6 px: below the bar.
    expect(textPxAt(1336, 800)).toBeLessThan(MIN_TEXT_PX);
  });

  it("prints its usage for --help and one line for a bad option", () => {
    const help = run("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run docs:diagram/);
    const bad = run("--width", "wide");
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('error: --width must be a whole number of pixels (at least 200); found "wide"');
  });
});
