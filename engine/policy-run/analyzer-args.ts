/**
 * Step 3: what the rules see. The analyzer's argument objects for resource and stack policies, built
 * from a plan: props wrapped so that reading a value unknown during preview throws, as the SDK does.
 */
import * as policySdk from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyResource, PolicyResourceOptions, ResourceValidationArgs } from "@pulumi/policy";
import { UNKNOWN_PLACEHOLDER, type Plan, type PlannedResource } from "../plan-format";

/** The SDK's sentinel for an unknown string: Pulumi's wire marker (test/engine/policy-runner.test.ts ties it to @pulumi/policy's). */
const UNKNOWN_SENTINEL: string = pulumi.runtime.unknownValue;

interface SdkInternals {
  unknownCheckingProxy<T>(value: T): T;
  UnknownValueError: new (...args: never[]) => Error;
}
/** Exported at runtime by @pulumi/policy (its typings mark them internal). */
const sdk = policySdk as unknown as Partial<SdkInternals>;
if (typeof sdk.unknownCheckingProxy !== "function" || typeof sdk.UnknownValueError !== "function") {
  throw new Error("this @pulumi/policy does not export unknownCheckingProxy/UnknownValueError; pin ^1.21 in package.json");
}
const unknownCheckingProxy = sdk.unknownCheckingProxy.bind(sdk);
export const UnknownValueError = sdk.UnknownValueError;

/** A deep copy with "[unknown]" turned into the SDK's sentinel, wrapped so reading it throws. */
function analyzerProps(value: Record<string, unknown>): Record<string, unknown> {
  const revive = (v: unknown): unknown => {
    if (v === UNKNOWN_PLACEHOLDER) return UNKNOWN_SENTINEL;
    if (Array.isArray(v)) return v.map(revive);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
    return v;
  };
  return unknownCheckingProxy(revive(value) as Record<string, unknown>);
}

/** "1h30m", "45m", "90s", "2h" → seconds (Go duration syntax, as customTimeouts use). */
export function durationSeconds(d: string | undefined): number {
  if (!d) return 0;
  let total = 0;
  for (const [, n, unit] of d.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms)/g)) {
    const x = Number(n);
    total += unit === "h" ? x * 3600 : unit === "m" ? x * 60 : unit === "s" ? x : x / 1000;
  }
  return total;
}

function optionsOf(r: PlannedResource): PolicyResourceOptions {
  const t = r.options.customTimeouts;
  return {
    protect: r.options.protect,
    ignoreChanges: [],
    aliases: [],
    additionalSecretOutputs: [],
    customTimeouts: { createSeconds: durationSeconds(t?.create), updateSeconds: durationSeconds(t?.update), deleteSeconds: durationSeconds(t?.delete) },
    ...(r.parent ? { parent: r.parent } : {}),
  };
}

/** The type token a resource class carries (generated SDK classes have a static `__pulumiType`). */
function pulumiTypeOf(resourceClass: unknown): string | undefined {
  const t = (resourceClass as { __pulumiType?: unknown } | null)?.__pulumiType;
  return typeof t === "string" ? t : undefined;
}

function isTypeOf(type: string, resourceClass: unknown): boolean {
  const token = pulumiTypeOf(resourceClass);
  if (token) return token === type;
  const isInstance = (resourceClass as { isInstance?: (o: unknown) => boolean } | null)?.isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

/**
 * What `args.notApplicable()` throws. A policy says it for most resources it sees (thousands of times per
 * evaluation), so it carries no stack trace: capturing one (source-mapped under tsx) was a fifth of a
 * policy evaluation's CPU.
 */
export class NotApplicable extends Error {
  readonly reason: string | undefined;
  constructor(reason: string | undefined) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(reason ?? "not applicable");
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.reason = reason;
    this.name = "NotApplicable";
  }
}
export const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

export function resourceArgs(r: PlannedResource, getConfig: () => Record<string, unknown>): ResourceValidationArgs {
  const props = analyzerProps(r.inputs);
  return {
    type: r.type,
    props,
    urn: r.urn,
    name: r.name,
    opts: optionsOf(r),
    stackTags: new Map<string, string>(),
    isType: (resourceClass: unknown) => isTypeOf(r.type, resourceClass),
    asType: ((resourceClass: unknown) => (isTypeOf(r.type, resourceClass) ? props : undefined)) as ResourceValidationArgs["asType"],
    getConfig: getConfig as ResourceValidationArgs["getConfig"],
    notApplicable,
  };
}

/** The stack as stack policies see it: outputs over inputs, links resolved to resources. */
export function stackResources(plan: Plan): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const built = plan.resources.map((r) => {
    const props = analyzerProps({ ...r.inputs, ...r.outputs });
    const resource: PolicyResource = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: optionsOf(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass: unknown) => isTypeOf(r.type, resourceClass),
      asType: ((resourceClass: unknown) => (isTypeOf(r.type, resourceClass) ? props : undefined)) as PolicyResource["asType"],
    };
    byUrn.set(r.urn, resource);
    return { resource, planned: r };
  });
  for (const { resource, planned } of built) {
    const parent = planned.parent ? byUrn.get(planned.parent) : undefined;
    if (parent) resource.parent = parent;
    resource.dependencies = planned.dependencies.flatMap((u) => byUrn.get(u) ?? []);
    for (const [key, urns] of Object.entries(planned.propertyDependencies)) {
      resource.propertyDependencies[key] = urns.flatMap((u) => byUrn.get(u) ?? []);
    }
  }
  return built.map((b) => b.resource);
}
