/**
 * A service's package is a pure function of its inputs: the source files esbuild read (ours and the
 * npm packages'), what decides how imports resolve (directory listings, package.json, tsconfig.json),
 * host.json, the build options and this bundler's own code. When a fingerprint of all of them matches
 * the one recorded next to the zip, and the zip and app files on disk still hash to what was recorded,
 * the package is reused instead of rebuilt; anything else rebuilds. A cache that cannot be stale,
 * because it is re-validated from the files themselves on every use (no timestamps).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";

/** Files in a directory that change how a module there (or below) resolves or compiles. */
const RESOLUTION_FILES = ["package.json", "tsconfig.json", "jsconfig.json"] as const;

export interface InputFingerprint {
  /** Absolute path → sha256 of the content, for every file esbuild read. */
  readonly files: Readonly<Record<string, string>>;
  /** Absolute directory → `dir:` or `up:` and the sha256 of what decides resolution there (see directoryHash). */
  readonly directories: Readonly<Record<string, string>>;
}

export interface CacheRecord {
  /** Hash of the build options, host.json and the bundler's code. */
  readonly key: string;
  readonly inputs: InputFingerprint;
  readonly zipSha256: string;
  readonly files: readonly { readonly name: string; readonly sizeBytes: number; readonly sha256: string }[];
  readonly warnings: readonly string[];
  readonly loadedAtStart: readonly string[];
  readonly packages: readonly string[];
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Hashes already computed in this process, by path, with the file's status when hashed. A plan checks
 * the same npm files for every service and again in its fresh-stack pass: a file whose size, mtime,
 * ctime and inode are unchanged is not read again (ctime moves on every write and cannot be set back).
 * On globalThis: the plan reloads this module for its second pass.
 */
const HASHES_KEY = Symbol.for("serverless-platform.bundle-cache.file-hashes");
type StatHashes = Map<string, { readonly status: string; readonly hash: string }>;
const known: StatHashes = ((globalThis as Record<symbol, unknown>)[HASHES_KEY] as StatHashes | undefined) ?? new Map();
(globalThis as Record<symbol, unknown>)[HASHES_KEY] = known;

function fileHash(file: string): string | undefined {
  try {
    const s = statSync(file);
    const status = `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
    const memo = known.get(file);
    if (memo && memo.status === status) return memo.hash;
    const hash = sha256Hex(readFileSync(file));
    known.set(file, { status, hash });
    return hash;
  } catch {
    return undefined;
  }
}

/**
 * A folder holding an input: its whole listing (a new `x.ts` next to a resolved `x/index.ts` changes
 * the result). An ancestor only: whether it has a `node_modules` (where bare imports are looked up).
 * Both: the content of the resolution files.
 */
function directoryHash(directory: string, holdsInput: boolean): string | undefined {
  try {
    const names = listing(directory);
    const listed = holdsInput ? names : names.filter((n) => n === "node_modules" || (RESOLUTION_FILES as readonly string[]).includes(n));
    const hash = createHash("sha256").update(listed.join("\0"));
    for (const name of RESOLUTION_FILES) {
      if (names.includes(name)) hash.update(`\0${name}\0${fileHash(path.join(directory, name)) ?? "unreadable"}`);
    }
    return hash.digest("hex");
  } catch {
    return undefined;
  }
}

/** A folder's sorted entries; read again only when the folder's mtime or ctime moved (an entry added, removed or renamed). */
const LISTINGS_KEY = Symbol.for("serverless-platform.bundle-cache.listings");
type Listings = Map<string, { readonly status: string; readonly names: readonly string[] }>;
const listings: Listings = ((globalThis as Record<symbol, unknown>)[LISTINGS_KEY] as Listings | undefined) ?? new Map();
(globalThis as Record<symbol, unknown>)[LISTINGS_KEY] = listings;

function listing(directory: string): readonly string[] {
  const s = statSync(directory);
  const status = `${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
  const memo = listings.get(directory);
  if (memo && memo.status === status) return memo.names;
  const names = readdirSync(directory).sort();
  listings.set(directory, { status, names });
  return names;
}

/** Every directory from each input's folder up to the filesystem root (where Node looks for node_modules). */
function ancestors(files: readonly string[]): string[] {
  const directories = new Set<string>();
  for (const file of files) {
    let dir = path.dirname(file);
    while (!directories.has(dir)) {
      directories.add(dir);
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return [...directories].sort();
}

/** The fingerprint of `inputs` (absolute paths, e.g. from esbuild's metafile) as they are now. */
export function fingerprint(inputs: readonly string[]): InputFingerprint {
  const files: Record<string, string> = {};
  for (const file of [...inputs].sort()) files[file] = fileHash(file) ?? "missing";
  const directories: Record<string, string> = {};
  const holding = new Set(inputs.map((f) => path.dirname(f)));
  for (const dir of ancestors(inputs)) directories[dir] = `${holding.has(dir) ? "dir" : "up"}:${directoryHash(dir, holding.has(dir)) ?? "missing"}`;
  return { files, directories };
}

/** True when every recorded input and directory still hashes to what was recorded. */
export function stillValid(recorded: InputFingerprint): boolean {
  for (const [file, hash] of Object.entries(recorded.files)) if (fileHash(file) !== hash) return false;
  for (const [dir, hash] of Object.entries(recorded.directories)) {
    const holdsInput = hash.startsWith("dir:");
    if (`${holdsInput ? "dir" : "up"}:${directoryHash(dir, holdsInput) ?? "missing"}` !== hash) return false;
  }
  return true;
}

/** The recorded cache entry at `file`, or undefined when absent or unreadable. */
export function readCacheRecord(file: string): CacheRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, "utf8")) as CacheRecord;
    return typeof record.key === "string" && record.inputs && Array.isArray(record.files) && Array.isArray(record.loadedAtStart) && Array.isArray(record.packages) ? record : undefined;
  } catch {
    return undefined;
  }
}
