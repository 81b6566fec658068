/**
 * The evaluated plan of a stack, kept under `.build/plan-cache/` and reused while nothing the evaluation
 * could read has changed. A hit is decided from the files themselves on every use: each input's content
 * hash, read again unless its status (size, mtime, ctime, inode, device) is the one recorded when it was
 * hashed and it had settled by then (see InputHashes); anything uncertain is a miss, and a miss
 * evaluates as if there were no cache.
 *
 * What the key covers (an entry is reused only when ALL of it is unchanged):
 * - every file under the repository root and the project folder (the program, components/, composition/,
 *   lib/, functions-src/, engine/, policy/, Pulumi.yaml and the stack files, package.json,
 *   package-lock.json, tsconfig.json, ...), by content, and the list of those files (a file added or
 *   removed anywhere misses); only folders named node_modules, .git, .build and .plan are not walked;
 * - every file the evaluating process loaded from outside those folders (the npm packages in
 *   `require.cache`), every file the function-app bundle cache fingerprinted (what esbuild read into the
 *   service packages, npm packages included), each with the listing of its folder (a new file next to a
 *   loaded one can change how an import resolves), and npm's record of the installed tree
 *   (node_modules/.package-lock.json);
 * - every file the plan names by path (the service packages and the compiled deployer under .build/);
 * - the environment, except the variables that only describe how the plan was launched (LAUNCH_ONLY_ENV),
 *   the Node version, platform, flags (`execArgv`), the working directory, and the request (stack,
 *   project folder, program, dry run).
 * A miss names what changed: the files, the request or process fields, the environment variables (by
 *   name: an entry keeps only a 4-hex-digit salted fingerprint of each value, see envFingerprints).
 * The program's console output (Pulumi's warnings) is recorded with the plan and printed again on a hit.
 * Policies, pricing and the report always run on the plan: only the evaluation is reused (the date
 * rules read the clock; the evaluation does not).
 * Not seen: a file outside those folders that the program reads with `fs` rather than loads or bundles
 * (the program reads none: its own files are under the repository), and a file under node_modules
 * changed by hand without npm and not loaded or bundled by the plan.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, type BigIntStats } from "node:fs";
import * as path from "node:path";
import { format } from "node:util";
import type { Plan } from "./plan-format";

/** Bumped when an entry's shape or what the key covers changes: older entries then miss. */
const FORMAT = 3;

/**
 * Variables that describe how the plan was started, not what it evaluates, so a new terminal, a `cd`
 * and back, a subfolder, `npm run -s plan` after `npm run plan` or output piped to a file still hit:
 * the shell's bookkeeping (`_`, the path of the command it started; OLDPWD, the previous folder; SHLVL,
 * the shell's nesting depth; PWD, the folder, which the key has as process.cwd()) and what npm sets
 * for a script: `npm_*` (npm_config_loglevel is "silent" under `npm run -s`;
 * https://docs.npmjs.com/cli/v11/using-npm/scripts#environment), INIT_CWD (the folder npm was run
 * from), NODE (the node npm runs, whose version the key has), EDITOR (npm's editor setting) and COLOR
 * ("1" or "0" by whether npm's output is a terminal): @npmcli/config lib/set-envs.js and npm lib/npm.js.
 * Neither the program nor what it loads reads them: no match for these names in engine/, components/,
 * composition/, lib/, functions-src/, policy/, nor in @pulumi/pulumi, @pulumi/azure-native's utilities,
 * tsx or esbuild's JavaScript (searched 2026-12-04). Every other variable, PATH included, is keyed.
 */
export const LAUNCH_ONLY_ENV = /^(?:_|OLDPWD|PWD|SHLVL|INIT_CWD|NODE|EDITOR|COLOR|npm_.*)$/;

/** Folders never walked as inputs: installed packages (seen through what is loaded), git, outputs. */
const NOT_WALKED = new Set(["node_modules", ".git", ".build", ".plan"]);

/** Above this many files under the roots (a project folder pointed at a home directory), nothing is cached. */
const MAX_TREE_FILES = 20_000;

/** Entries kept (newest first): one per stack, kind and program, for the few programs a checkout plans. */
const MAX_ENTRIES = 12;

/** The repository this engine belongs to. */
export const REPOSITORY_ROOT = path.resolve(__dirname, "..");

/** Where entries are kept by default. */
export const DEFAULT_PLAN_CACHE_DIRECTORY = path.join(REPOSITORY_ROOT, ".build", "plan-cache");

/** The bundle cache's per-process record of the files it hashed (components/function-app/bundle-cache.ts). */
const BUNDLE_INPUTS_KEY = Symbol.for("serverless-platform.bundle-cache.file-hashes");

export interface PlanCacheRequest {
  readonly stack: string;
  readonly projectDir: string;
  readonly program?: string;
  readonly dryRun?: boolean;
}

export interface PlanCacheOptions {
  /** Where entries are kept. @default DEFAULT_PLAN_CACHE_DIRECTORY */
  readonly directory?: string;
  /** Folders whose every file is an input. @default the repository root and the project folder */
  readonly roots?: readonly string[];
  /** The environment that is part of the key. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** The files the evaluation loaded (absolute). @default require.cache and the bundle cache's inputs */
  readonly loadedFiles?: () => readonly string[];
  /** The clock that decides whether a file's status had settled when it was hashed (ms). @default Date.now */
  readonly now?: () => number;
}

export interface CachedPlan {
  readonly plan: Plan;
  /** True when the plan came from the cache. */
  readonly hit: boolean;
  /** On a miss, why (no entry, which input changed). */
  readonly reason?: string;
  /** How many files and folders were read to hash them (the others' status matched a settled record). */
  readonly inputsRead?: number;
}

interface ConsoleLine {
  readonly method: "log" | "info" | "warn" | "error" | "debug";
  readonly text: string;
}

interface Entry {
  readonly format: number;
  readonly key: string;
  /** The request and process fields of the key, to name the one that changed. */
  readonly process: ProcessFields;
  /** The keyed variables' fingerprints (envFingerprints), to name the one that changed. */
  readonly environment: { readonly salt: string; readonly variables: Readonly<Record<string, string>> };
  /** Every file under the roots, absolute path → sha256. */
  readonly tree: Readonly<Record<string, string>>;
  /** Files outside the roots that the evaluation read or the plan names, absolute path → sha256. */
  readonly files: Readonly<Record<string, string>>;
  /** The folder of each outside file → sha256 of its sorted listing. */
  readonly listings: Readonly<Record<string, string>>;
  /** The status of each file and folder above whose hash was taken after it had settled (see InputHashes). */
  readonly settled: Readonly<Record<string, string>>;
  readonly console: readonly ConsoleLine[];
  readonly plan: Plan;
}

const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

/**
 * How long after its last change (ctime) a file's status is trusted to stand for its content. A write
 * moves ctime (no call can set it back), but a file system keeps times at a coarse tick (the kernel's
 * clock tick on Linux, up to 2 s on FAT): a second write in the same tick as the one hashed could leave
 * the status unchanged. A file changed less than this before it was hashed is therefore hashed again
 * on every use (git's "racily clean" entries, the same problem).
 */
const SETTLE_MS = 3_000;

/** Hashes and statuses taken in this process (the plan and its fresh-stack pass ask for the same files). */
const processRecords = new Map<string, { readonly status: string; readonly hash: string }>();

/**
 * The content hashes of inputs: a file (or a folder's listing) is read and hashed unless its status
 * now is the status recorded with a hash (by an earlier entry or earlier in this process) that was
 * taken after the file had settled. Records a status only under that same condition.
 */
class InputHashes {
  /** Files and folders read to hash them. */
  read = 0;
  /** path → status, for the hashes taken (or reused) from a settled file: what the next entry records. */
  readonly settled: Record<string, string> = {};

  constructor(
    private readonly previous: Pick<Entry, "settled" | "tree" | "files" | "listings"> | undefined,
    private readonly now: () => number,
  ) {}

  file(file: string): string {
    return this.hash(file, false);
  }

  listing(directory: string): string {
    return this.hash(directory, true);
  }

  private hash(target: string, isListing: boolean): string {
    // The key separates a folder's listing from a file of the same path (a file replaced by a folder).
    const id = isListing ? `${target}${path.sep}` : target;
    const checkedAt = this.now();
    let stats: BigIntStats;
    try {
      stats = statSync(target, { bigint: true });
    } catch {
      return "missing";
    }
    const status = `${isListing ? "d" : "f"}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}:${stats.ino}:${stats.dev}`;
    const settled = Number(stats.ctimeNs / 1_000_000n) <= checkedAt - SETTLE_MS && Number(stats.mtimeNs / 1_000_000n) <= checkedAt - SETTLE_MS;
    if (settled) {
      const known = processRecords.get(id);
      const previous = this.previous;
      const recorded = previous?.settled[id] === status ? (isListing ? previous.listings[target] : (previous.tree[target] ?? previous.files[target])) : undefined;
      const hash = known?.status === status ? known.hash : recorded;
      if (hash !== undefined) {
        this.settled[id] = status;
        processRecords.set(id, { status, hash });
        return hash;
      }
    }
    let hash: string;
    try {
      hash = isListing ? sha256(readdirSync(target).sort().join("\0")) : sha256(readFileSync(target));
    } catch {
      return "missing";
    }
    this.read++;
    if (settled) {
      this.settled[id] = status;
      processRecords.set(id, { status, hash });
    }
    return hash;
  }
}

/**
 * Every file under `roots` (symbolic links followed once), absolute path → sha256, sorted by path;
 * undefined when there are more than MAX_TREE_FILES (too large to walk on every plan).
 */
export function hashTree(roots: readonly string[], hashes: InputHashes = new InputHashes(undefined, Date.now)): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let count = 0;
  const seen = new Set<string>();
  const walk = (directory: string): void => {
    let real: string;
    try {
      real = realpathSync(directory);
    } catch {
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      let isDirectory = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        try {
          isDirectory = statSync(full).isDirectory();
        } catch {
          out[full] = "dangling link";
          continue;
        }
      }
      if (isDirectory) {
        if (!NOT_WALKED.has(entry.name)) walk(full);
      } else if (++count <= MAX_TREE_FILES) {
        out[full] = hashes.file(full);
      }
    }
  };
  for (const root of roots) walk(path.resolve(root));
  if (count > MAX_TREE_FILES) return undefined;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** What the process has loaded: CommonJS modules (npm packages, compiled sources) and the bundle cache's inputs. */
function defaultLoadedFiles(): string[] {
  const files = Object.keys((require as NodeRequire | undefined)?.cache ?? {});
  const bundleInputs = (globalThis as Record<symbol, unknown>)[BUNDLE_INPUTS_KEY];
  if (bundleInputs instanceof Map) files.push(...(bundleInputs.keys() as Iterable<string>));
  return files.filter((f) => path.isAbsolute(f));
}

/** The request and the process: every field is part of the key, and a miss names the one that changed. */
interface ProcessFields {
  readonly stack: string;
  readonly projectDir: string;
  readonly program: string | null;
  readonly dryRun: boolean;
  readonly cwd: string;
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly execArgv: readonly string[];
}

/** How a reason calls each process field. */
const PROCESS_FIELD_NAMES: Readonly<Record<keyof ProcessFields, string>> = {
  stack: "the stack",
  projectDir: "the project folder",
  program: "the program",
  dryRun: "the kind of plan (--dry-run)",
  cwd: "the working directory",
  node: "the Node.js version",
  platform: "the platform",
  arch: "the architecture",
  execArgv: "node's flags",
};

function processFields(request: PlanCacheRequest): ProcessFields {
  return {
    stack: request.stack,
    projectDir: path.resolve(request.projectDir),
    program: request.program ? path.resolve(request.program) : null,
    dryRun: request.dryRun === true,
    cwd: process.cwd(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    execArgv: process.execArgv,
  };
}

/** The variables that are part of the key, sorted by name. */
function keyedEnv(env: NodeJS.ProcessEnv): [string, string][] {
  return Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined && !LAUNCH_ONLY_ENV.test(e[0]))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The key: the request, the process and the keyed environment, values included (only this hash is kept). */
function processKey(fields: ProcessFields, env: NodeJS.ProcessEnv): string {
  return sha256(JSON.stringify({ format: FORMAT, ...fields, env: keyedEnv(env) }));
}

/**
 * Each keyed variable's name → the first 4 hex digits of sha256(salt, name, value): enough to name the
 * variable whose value changed (a change keeps the digits 1 time in 65,536; the reason then says only
 * that the environment changed, and the key still misses), too few to single out the value of a
 * secret with more than 16 bits of entropy (PULUMI_CONFIG_PASSPHRASE, ARM_CLIENT_SECRET) from an
 * entry left in a CI cache: about one guess in 65,536 matches whatever the value.
 */
function envFingerprints(env: NodeJS.ProcessEnv, salt: string): Record<string, string> {
  return Object.fromEntries(keyedEnv(env).map(([name, value]) => [name, sha256(`${salt}\0${name}=${value}`).slice(0, 4)]));
}

/** Why an entry's key differs from this run's: the process fields, then the variables, by name. */
function keyDifference(entry: Entry, fields: ProcessFields, env: NodeJS.ProcessEnv): string {
  const changed = (Object.keys(PROCESS_FIELD_NAMES) as (keyof ProcessFields)[]).filter((f) => JSON.stringify(entry.process[f]) !== JSON.stringify(fields[f]));
  if (changed.length > 0) {
    return `${changed.map((f) => `${PROCESS_FIELD_NAMES[f]} changed${f === "node" ? ` (${entry.process.node} → ${fields.node})` : ""}`).join(", ")}`;
  }
  const now = envFingerprints(env, entry.environment.salt);
  const recorded = entry.environment.variables;
  const variables = [
    ...Object.keys(now).filter((n) => !(n in recorded)).map((n) => `${n} is set`),
    ...Object.keys(recorded).filter((n) => !(n in now)).map((n) => `${n} is unset`),
    ...Object.keys(now).filter((n) => n in recorded && now[n] !== recorded[n]).map((n) => `${n} changed`),
  ];
  if (variables.length === 0) return "an environment variable changed";
  const listed = variables.slice(0, MAX_LISTED_DIFFERENCES).join(", ");
  const more = variables.length - MAX_LISTED_DIFFERENCES;
  return `environment: ${listed}${more > 0 ? ` and ${more} more variable${more === 1 ? "" : "s"}` : ""}`;
}

function entryFile(directory: string, request: PlanCacheRequest): string {
  const slot = sha256(JSON.stringify([path.resolve(request.projectDir), request.program ? path.resolve(request.program) : null])).slice(0, 12);
  return path.join(directory, `${request.stack}.${request.dryRun ? "new-stack" : "plan"}.${slot}.json`);
}

function within(file: string, roots: readonly string[]): boolean {
  return roots.some((root) => file === root || file.startsWith(root + path.sep));
}

/** How many changed files a reason names before it counts the rest. */
const MAX_LISTED_DIFFERENCES = 3;

/** Why `entry` cannot be reused now, or undefined when every input is unchanged. */
function staleness(entry: Entry, key: string, tree: Readonly<Record<string, string>>, hashes: InputHashes, shown: (file: string) => string, keyChange: () => string): string | undefined {
  if (entry.format !== FORMAT) return "the cache format changed";
  if (entry.key !== key) return keyChange();
  // Every difference in the project's tree (already hashed, so listing them all costs nothing): an
  // edit and a revert elsewhere both show, not only the first file found.
  const differences: string[] = [];
  for (const file of Object.keys(tree)) if (!(file in entry.tree)) differences.push(`${shown(file)} is new`);
  for (const file of Object.keys(entry.tree)) {
    if (!(file in tree)) differences.push(`${shown(file)} was removed`);
    else if (tree[file] !== entry.tree[file]) differences.push(`${shown(file)} changed`);
  }
  if (differences.length > 0) {
    const listed = differences.slice(0, MAX_LISTED_DIFFERENCES).join(", ");
    const more = differences.length - MAX_LISTED_DIFFERENCES;
    return more > 0 ? `${listed} and ${more} more file${more === 1 ? "" : "s"}` : listed;
  }
  for (const [file, hash] of Object.entries(entry.files)) if (hashes.file(file) !== hash) return `${shown(file)} changed`;
  for (const [directory, hash] of Object.entries(entry.listings)) if (hashes.listing(directory) !== hash) return `the files in ${shown(directory)} changed`;
  return undefined;
}

function readEntry(file: string): Entry | undefined {
  try {
    const entry = JSON.parse(readFileSync(file, "utf8")) as Entry | null;
    if (!entry || typeof entry !== "object") return undefined;
    // Another format's entry only says so (staleness checks the format first); its fields are not read.
    if (entry.format !== FORMAT) return typeof entry.format === "number" ? entry : undefined;
    return typeof entry.key === "string" && entry.process && entry.environment?.variables && entry.tree && entry.files && entry.listings && Array.isArray(entry.console) && entry.plan ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** The files a plan names by path under the roots (the service packages, the compiled deployer). */
function namedFiles(plan: Plan, roots: readonly string[]): string[] {
  const text = JSON.stringify(plan);
  const found = new Set<string>();
  for (const root of roots) {
    const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    for (const match of text.matchAll(new RegExp(`${escaped}(?:/[A-Za-z0-9._@+-]+)+`, "g"))) {
      const candidate = match[0];
      try {
        if (statSync(candidate).isFile()) found.add(candidate);
      } catch {
        /* not a file: a folder or a name that only looks like a path */
      }
    }
  }
  return [...found].sort();
}

/** Keeps the newest MAX_ENTRIES entries (tests plan many temporary projects). */
function prune(directory: string): void {
  const entries = readdirSync(directory)
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({ file: path.join(directory, f), mtime: statSync(path.join(directory, f)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of entries.slice(MAX_ENTRIES)) rmSync(old.file, { force: true });
}

const CONSOLE_METHODS = ["log", "info", "warn", "error", "debug"] as const;

/** Runs `evaluate` with the console's output recorded (and still printed). */
async function recordingConsole(evaluate: () => Promise<Plan>): Promise<{ plan: Plan; lines: ConsoleLine[] }> {
  const lines: ConsoleLine[] = [];
  const originals = CONSOLE_METHODS.map((m) => [m, console[m]] as const);
  for (const [method, original] of originals) {
    console[method] = (...args: unknown[]): void => {
      lines.push({ method, text: format(...args) });
      original.apply(console, args);
    };
  }
  try {
    return { plan: await evaluate(), lines };
  } finally {
    for (const [method, original] of originals) console[method] = original;
  }
}

/**
 * The plan `evaluate` would return for `request`: from the cache when every input is unchanged, else
 * evaluated (and recorded when no input changed while it ran). An evaluation that throws records nothing.
 */
export async function cachedPlan(request: PlanCacheRequest, evaluate: () => Promise<Plan>, options: PlanCacheOptions = {}): Promise<CachedPlan> {
  const directory = options.directory ?? DEFAULT_PLAN_CACHE_DIRECTORY;
  const roots = [...new Set((options.roots ?? [REPOSITORY_ROOT, request.projectDir]).map((r) => path.resolve(r)))];
  const env = options.env ?? process.env;
  const fields = processFields(request);
  const key = processKey(fields, env);
  const file = entryFile(directory, request);
  const now = options.now ?? Date.now;
  const entry = existsSync(file) ? readEntry(file) : undefined;
  // The statuses of an entry of another format or key are not used (it misses anyway).
  const usable = entry && entry.format === FORMAT && entry.key === key && entry.settled ? entry : undefined;
  const hashes = new InputHashes(usable, now);
  const treeBefore = hashTree(roots, hashes);
  if (!treeBefore) return { plan: await evaluate(), hit: false, reason: `more than ${MAX_TREE_FILES} files under ${roots.join(", ")}: not cached`, inputsRead: hashes.read };
  // Paths in a reason as the user would type them: relative to the first root when under it.
  const shown = (file: string): string => (within(file, roots.slice(0, 1)) ? path.relative(roots[0]!, file) : file);
  const reason = entry ? staleness(entry, key, treeBefore, hashes, shown, () => keyDifference(entry, fields, env)) : "no cached plan";
  if (entry && reason === undefined) {
    for (const line of entry.console) console[line.method](line.text);
    return { plan: entry.plan, hit: true, inputsRead: hashes.read };
  }

  const { plan, lines } = await recordingConsole(evaluate);
  // An input edited while the program ran: the plan may mix both versions; keep it, record nothing.
  // Its own InputHashes, so that what it settles is what the new entry records.
  const after = new InputHashes(usable, now);
  const treeAfter = hashTree(roots, after) ?? {};
  if (JSON.stringify(treeAfter) !== JSON.stringify(treeBefore)) {
    return { plan, hit: false, reason: `${reason}; not cached: files changed during the evaluation`, inputsRead: hashes.read + after.read };
  }
  const loaded = (options.loadedFiles ?? defaultLoadedFiles)();
  const outside = new Set<string>();
  for (const f of loaded) {
    let real = f;
    try {
      // The system call (one per path), not the JavaScript walk of each component: same answer, a fraction of the time.
      real = realpathSync.native(f);
    } catch {
      /* recorded as missing: a later file there misses */
    }
    if (!within(real, roots)) outside.add(real);
    if (!within(f, roots)) outside.add(f);
  }
  for (const r of roots) {
    const installed = path.join(r, "node_modules", ".package-lock.json");
    if (existsSync(installed)) outside.add(installed);
  }
  const named = namedFiles(plan, roots);
  const files: Record<string, string> = {};
  for (const f of [...outside, ...named].sort()) files[f] = after.file(f);
  const listings: Record<string, string> = {};
  for (const d of [...new Set([...outside].map((f) => path.dirname(f)))].sort()) listings[d] = after.listing(d);
  const salt = randomBytes(16).toString("hex");
  const environment = { salt, variables: envFingerprints(env, salt) };
  const record: Entry = { format: FORMAT, key, process: fields, environment, tree: treeAfter, files, listings, settled: after.settled, console: lines, plan };
  try {
    mkdirSync(directory, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(record));
    renameSync(temporary, file);
    prune(directory);
  } catch {
    // A cache that cannot be written costs the next run an evaluation, nothing else.
    rmSync(`${file}.${process.pid}.tmp`, { force: true });
  }
  return { plan, hit: false, reason, inputsRead: hashes.read + after.read };
}
