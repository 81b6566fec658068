/**
 * Runs one policy on hand-built analyzer arguments, the way @pulumi/policy's server calls it: props
 * wrapped in the SDK's unknown-checking proxy, `notApplicable` throwing, each validation of a
 * policy in its own try/catch. No runner, no PolicyPack: a broken rule fails here on its own.
 */
import * as policySdk from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import type {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PlatformPolicy } from "../../policy/rules";
import { policies } from "../../policy/rules";

export type Props = Record<string, unknown>;

/** The SDK's sentinel for a string only known after deployment. */
export const UNKNOWN_STRING: string = pulumi.runtime.unknownValue;

const sdk = policySdk as unknown as {
  unknownCheckingProxy<T>(v: T): T;
  UnknownValueError: new (...args: never[]) => Error;
};

class NotApplicable extends Error {}

const OPTS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  additionalSecretOutputs: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
};

const typeOf = (cls: unknown): string | undefined => (cls as { __pulumiType?: string }).__pulumiType;

/** A policy of the pack by name (fails loudly for a typo). */
export function rule(name: string): PlatformPolicy {
  const p = policies.find((x) => x.name === name);
  if (!p) throw new Error(`no policy named ${name}`);
  return p;
}

export interface ResourceResult {
  readonly violations: string[];
  /** At least one validation ran to the end (did not call notApplicable). */
  readonly applicable: boolean;
  /** A validation read a value unknown during preview (the server reports "can't run"). */
  readonly unknown: boolean;
  readonly notApplicableReasons: string[];
}

/** Runs a resource policy on one resource. */
export function checkResource(
  policy: PlatformPolicy | ResourceValidationPolicy,
  type: string,
  props: Props,
  options: { readonly name?: string; readonly config?: Props } = {},
): ResourceResult {
  const validate = (policy as ResourceValidationPolicy).validateResource;
  if (!validate) throw new Error(`${policy.name} is not a resource policy`);
  const proxied = sdk.unknownCheckingProxy(structuredClone(props));
  const name = options.name ?? "res";
  const args: ResourceValidationArgs = {
    type,
    props: proxied,
    urn: `urn:pulumi:test::serverless-platform::${type}::${name}`,
    name,
    opts: OPTS,
    stackTags: new Map(),
    isType: (cls: unknown) => typeOf(cls) === type,
    asType: ((cls: unknown) => (typeOf(cls) === type ? proxied : undefined)) as ResourceValidationArgs["asType"],
    getConfig: (() => ({ ...defaults(policy), ...(options.config ?? {}) })) as ResourceValidationArgs["getConfig"],
    notApplicable: (reason?: string) => {
      throw new NotApplicable(reason);
    },
  };
  const violations: string[] = [];
  const reasons: string[] = [];
  let applicable = false;
  let unknown = false;
  for (const v of (Array.isArray(validate) ? validate : [validate]) as ResourceValidation[]) {
    try {
      const out = v(args, (m) => violations.push(m));
      if (out instanceof Promise) throw new Error("async validation");
      applicable = true;
    } catch (e) {
      if (e instanceof NotApplicable) reasons.push(e.message);
      else if (e instanceof sdk.UnknownValueError) unknown = applicable = true;
      else throw e;
    }
  }
  return { violations, applicable, unknown, notApplicableReasons: reasons };
}

function defaults(policy: PlatformPolicy): Props {
  const out: Props = {};
  for (const [k, def] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (typeof def === "object" && def.default !== undefined) out[k] = def.default;
  }
  return out;
}

/** A resource of a hand-made stack; links name other resources by logical name. */
export interface StackRes {
  readonly type: string;
  readonly name: string;
  readonly props: Props;
  /** input property → logical names of the resources its value came from */
  readonly deps?: Readonly<Record<string, readonly string[]>>;
}

export interface StackResult {
  readonly violations: { readonly message: string; readonly name: string | undefined }[];
  readonly applicable: boolean;
}

/** Runs a stack policy on a hand-made stack. */
export function checkStack(policy: PlatformPolicy, stack: readonly StackRes[], config: Props = {}): StackResult {
  const validateStack = (policy as StackValidationPolicy).validateStack;
  if (!validateStack) throw new Error(`${policy.name} is not a stack policy`);
  const urnOf = (r: StackRes) => `urn:pulumi:test::serverless-platform::${r.type}::${r.name}`;
  const built = stack.map((r) => {
    const props = sdk.unknownCheckingProxy(structuredClone(r.props));
    const res: PolicyResource = {
      type: r.type,
      props,
      urn: urnOf(r),
      name: r.name,
      opts: OPTS,
      dependencies: [],
      propertyDependencies: {},
      isType: (cls: unknown) => typeOf(cls) === r.type,
      asType: ((cls: unknown) => (typeOf(cls) === r.type ? props : undefined)) as PolicyResource["asType"],
    };
    return res;
  });
  const byName = new Map(built.map((b) => [b.name, b]));
  stack.forEach((r, i) => {
    for (const [key, names] of Object.entries(r.deps ?? {})) {
      built[i]!.propertyDependencies[key] = names.map((n) => {
        const target = byName.get(n);
        if (!target) throw new Error(`${r.name}.${key} depends on unknown resource ${n}`);
        return target;
      });
      built[i]!.dependencies.push(...built[i]!.propertyDependencies[key]!);
    }
  });
  const violations: { message: string; name: string | undefined }[] = [];
  const args: StackValidationArgs = {
    resources: built,
    stackTags: new Map(),
    getConfig: (() => ({ ...defaults(policy), ...config })) as StackValidationArgs["getConfig"],
    notApplicable: (reason?: string) => {
      throw new NotApplicable(reason);
    },
  };
  try {
    validateStack(args, (message, urn) => violations.push({ message, name: built.find((b) => b.urn === urn)?.name }));
    return { violations, applicable: true };
  } catch (e) {
    if (e instanceof NotApplicable) return { violations, applicable: false };
    throw e;
  }
}

/** A deep copy of `base` with `path` (dot-separated) set to `value`; `undefined` deletes it. */
export function set(base: Props, path: string, value: unknown): Props {
  const copy = structuredClone(base);
  const keys = path.split(".");
  let node: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) {
    if (node[k] === undefined || node[k] === null || typeof node[k] !== "object") node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/** Applies several `set`s. */
export function with_(base: Props, changes: Readonly<Record<string, unknown>>): Props {
  return Object.entries(changes).reduce((acc, [p, v]) => set(acc, p, v), base);
}
