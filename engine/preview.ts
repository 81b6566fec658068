/**
 * The preview: what `pulumi up` would do to go from a baseline plan (the stack's last saved plan, or
 * the base branch's) to this plan — create, update, replace, delete or leave each resource alone —
 * with the property changes, the properties that force a replacement, and the security-relevant
 * changes a reviewer must see (as `cdk diff` summarises IAM and security-group changes).
 *
 * Replacement follows the providers, not guesses:
 * - azure-native replaces a resource when a property in its ARM id (the PUT URL's path parameters:
 *   name, resource group, parent names, scope) changes, or a `forceNew` property changes
 *   (pulumi/pulumi-azure-native provider/pkg/provider/diff.go `calculateDetailedDiff`). Its
 *   `forceNew` flags come from two places (provider/pkg/gen/properties.go `forceNew`): the spec's
 *   `x-ms-mutability` without "update" — `location` of every tracked resource (Azure/azure-rest-api-specs
 *   specification/common-types/resource-management/v5/types.json, TrackedResource.location:
 *   ["read", "create"]) — and the hand-kept `forceNewMap` (provider/pkg/gen/replacement.go), whose
 *   entries for our types are copied in FORCE_NEW below. `location` compares without case and spaces
 *   (diff.go `applyAzureSpecificDiff`).
 * - dynamic providers decide in their own `diff` (we call the real one for the code deployment).
 * - azuread (a bridged Terraform provider) keeps its ForceNew flags in the Terraform schema, which the
 *   offline plan does not have: its changes are shown as updates, marked as such.
 */
import type { Plan, PlannedResource } from "./plan-format";
import { SECRET_PLACEHOLDER } from "./plan-format";
import { createDeploymentProvider } from "../components/function-app/deployment";
import { BuiltInRole, CosmosDataRole } from "../components/core/roles";

export type Operation = "create" | "update" | "replace" | "delete" | "same";

export interface PropertyChange {
  /** Dotted path; array items of named objects as `[name=X]`, others as `[i]`. */
  readonly path: string;
  /** Absent = the property was not set. Sensitive values are already masked. */
  readonly old?: unknown;
  readonly new?: unknown;
  /** Why this change forces a replacement, when it does. */
  readonly replaces?: string;
}

export interface ResourceStep {
  readonly op: Operation;
  /** The resource as planned (as in the baseline for a delete). */
  readonly resource: PlannedResource;
  /** The nearest enclosing component, `type name` without the project prefix, or "(top level)". */
  readonly component: string;
  readonly changes: readonly PropertyChange[];
  /** A note a reader needs (e.g. replacement rules not modelled for this provider). */
  readonly note?: string;
  /** For a rename shown as a replacement: the resource as it was (its old logical name). */
  readonly renamedFrom?: PlannedResource;
}

export interface Counts {
  readonly create: number;
  readonly update: number;
  readonly replace: number;
  readonly delete: number;
  readonly same: number;
}

export type SecurityCategory = "role assignments" | "network exposure" | "authentication" | "gateway policy documents";

export interface SecurityChange {
  readonly category: SecurityCategory;
  readonly op: Exclude<Operation, "same">;
  readonly resource: PlannedResource;
  /** One line a reviewer reads: what is granted/opened/changed, to whom, where. */
  readonly summary: string;
}

export interface Preview {
  /** Every resource of both plans, in the head plan's order, deletions last. */
  readonly steps: readonly ResourceStep[];
  readonly counts: Counts;
  readonly security: readonly SecurityChange[];
}

/**
 * azure-native `forceNewMap` entries for the types we use (pulumi-azure-native
 * provider/pkg/gen/replacement.go, read at commit 1b7112af33c62b247daed1028686bf279f4d5e69; the map
 * lists nothing for BlobContainer and leaves AppServicePlan and Insights Component to x-ms-mutability).
 */
const FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
  "azure-native:authorization:RoleAssignment": ["principalId", "scope"],
  "azure-native:cosmosdb:SqlResourceSqlRoleAssignment": ["principalId", "scope"],
  "azure-native:network:PrivateEndpoint": ["subnet"],
  "azure-native:network:VirtualNetwork": ["location"],
  "azure-native:resources:ResourceGroup": ["location"],
  "azure-native:storage:StorageAccount": ["isHnsEnabled", "location"],
  "azure-native:web:WebApp": ["location", "kind"],
};

/** Dynamic providers whose own `diff` decides (type token → provider). */
const DYNAMIC_PROVIDERS: Readonly<Record<string, ReturnType<typeof createDeploymentProvider>>> = {
  "pulumi-nodejs:dynamic/functionapp:FunctionCodeDeployment": createDeploymentProvider(() => {
    throw new Error("the preview never deploys");
  }),
};

/** Names whose values are credentials: masked even when the program forgot `pulumi.secret`. */
const SENSITIVE = /password|secret|connection_?string|account_?key|access_?key|sas_?token|token|credential|instrumentation_?key|api_?key/i;

/** Stable JSON (sorted keys) to compare values. */
export function stableJson(v: unknown): string {
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** URNs carry the stack name; plans of the same stack are compared by the rest. */
export function resourceKey(r: PlannedResource): string {
  return r.urn.replace(/^urn:pulumi:[^:]+::/, "");
}

/** A value with every credential-like part replaced by "[secret]". */
export function maskSensitive(path: string, value: unknown): unknown {
  if (value === undefined || value === SECRET_PLACEHOLDER) return value;
  if (SENSITIVE.test(path)) return SECRET_PLACEHOLDER;
  if (Array.isArray(value)) return value.map((v, i) => maskSensitive(`${path}[${i}]`, v));
  if (isObject(value)) {
    // { name: "X_CONNECTION_STRING", value: "..." } (app settings) is masked by its name.
    const named = typeof value.name === "string" && SENSITIVE.test(value.name);
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, named && k === "value" ? SECRET_PLACEHOLDER : maskSensitive(`${path}.${k}`, v)]),
    );
  }
  return value;
}

/** Items of an array are matched by `name` when every item is an object with a unique string name. */
function namedItems(a: readonly unknown[]): Map<string, unknown> | undefined {
  const m = new Map<string, unknown>();
  for (const item of a) {
    if (!isObject(item) || typeof item.name !== "string" || m.has(item.name)) return undefined;
    m.set(item.name, item);
  }
  return m;
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** Leaf-level differences between two input values. */
export function diffValues(path: string, a: unknown, b: unknown, out: { path: string; old?: unknown; new?: unknown }[] = []): typeof out {
  if (stableJson(a) === stableJson(b)) return out;
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) diffValues(join(path, k), a[k], b[k], out);
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const na = namedItems(a);
    const nb = namedItems(b);
    if (na && nb && (na.size > 0 || nb.size > 0)) {
      for (const k of [...new Set([...na.keys(), ...nb.keys()])]) diffValues(`${path}[name=${k}]`, na.get(k), nb.get(k), out);
      return out;
    }
    if (a.length === b.length) {
      a.forEach((x, i) => diffValues(`${path}[${i}]`, x, b[i], out));
      return out;
    }
  }
  out.push({ path, ...(a !== undefined ? { old: a } : {}), ...(b !== undefined ? { new: b } : {}) });
  return out;
}

const topKey = (path: string): string => path.split(/[.[]/)[0]!;

const normalizedLocation = (v: unknown): unknown => (typeof v === "string" ? v.replace(/ /g, "").toLowerCase() : v);

/** Why changing top-level input `key` of `r` replaces it, or undefined when it updates in place. */
function replacementReason(key: string, before: PlannedResource, after: PlannedResource): string | undefined {
  if (!after.type.startsWith("azure-native:")) return undefined;
  const inId = (r: PlannedResource): boolean => {
    const v = r.inputs[key];
    if (typeof v !== "string" || v === "" || !r.id) return false;
    // A path parameter is a whole segment of the id, or (extension resources) the scope it starts with.
    return r.id.split("/").includes(v) || r.id.toLowerCase().startsWith(`${v.toLowerCase().replace(/\/$/, "")}/providers/`);
  };
  if (before.id !== after.id && (inId(before) || inId(after))) return "part of the resource's ARM id";
  if (FORCE_NEW[after.type]?.includes(key)) return "forceNew in azure-native";
  if (key === "location") return "create-only (x-ms-mutability)";
  return undefined;
}

/** The component label of resources directly under the stack (no enclosing component). */
export const TOP_LEVEL = "(top level)";

function componentLabel(r: PlannedResource, byUrn: ReadonlyMap<string, PlannedResource>, project: string): string {
  let p = r.parent ? byUrn.get(r.parent) : undefined;
  while (p && (p.custom || p.type === "pulumi:pulumi:Stack")) {
    if (p.type === "pulumi:pulumi:Stack") return TOP_LEVEL;
    p = p.parent ? byUrn.get(p.parent) : undefined;
  }
  if (!p) return TOP_LEVEL;
  return `${p.type.startsWith(`${project}:`) ? p.type.slice(project.length + 1) : p.type} ${p.name}`;
}

/** Compares `head` with `base` (absent: a new stack, everything is created). */
export async function previewPlans(base: Plan | undefined, head: Plan): Promise<Preview> {
  const before = new Map((base?.resources ?? []).map((r) => [resourceKey(r), r]));
  const after = new Set(head.resources.map(resourceKey));
  const headByUrn = new Map(head.resources.map((r) => [r.urn, r]));
  const baseByUrn = new Map((base?.resources ?? []).map((r) => [r.urn, r]));
  const steps: ResourceStep[] = [];

  for (const r of head.resources) {
    const component = componentLabel(r, headByUrn, head.project);
    const b = before.get(resourceKey(r));
    if (!b) {
      steps.push({ op: "create", resource: r, component, changes: [] });
      continue;
    }
    steps.push({ resource: r, component, ...(await compare(b, r)) });
  }
  for (const r of base?.resources ?? []) {
    if (!after.has(resourceKey(r))) steps.push({ op: "delete", resource: r, component: componentLabel(r, baseByUrn, base!.project), changes: [] });
  }
  await showRenamesAsReplacements(steps);
  const count = (op: Operation): number => steps.filter((s) => s.op === op).length;
  const counts = { create: count("create"), update: count("update"), replace: count("replace"), delete: count("delete"), same: count("same") };
  return { steps, counts, security: securityChanges(steps, base, head) };
}

/**
 * The middle words two names do not share: `data-catalog-products` / `data-catalog-goods` →
 * `products` / `goods`. Undefined when a name is the other's prefix or suffix (nothing was renamed).
 */
export function renamedPart(before: string, after: string): { readonly old: string; readonly new: string } | undefined {
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < before.length - head && tail < after.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  if (head + tail >= before.length || head + tail >= after.length) return undefined;
  // Whole hyphen-separated words: "products" → "goods", not "product" → "good".
  while (head > 0 && before[head - 1] !== "-") head--;
  while (tail > 0 && before[before.length - tail] !== "-") tail--;
  const old = before.slice(head, before.length - tail);
  const now = after.slice(head, after.length - tail);
  return old && now ? { old, new: now } : undefined;
}

/**
 * A renamed resource (a container id in a manifest, say) gets a new logical name, so the plans hold
 * it under a new URN: `pulumi preview` prints "+ create" for the new one and "- delete" for the old,
 * and a reader misses that the old one, with its data, goes. When a deleted resource and a created
 * one of the same type under the same component have the same inputs once the renamed part is
 * swapped (the name, and the ids and names derived from it), the pair is one step: a replacement,
 * with the properties that changed and the ones that force it (the name is part of the ARM id).
 */
async function showRenamesAsReplacements(steps: ResourceStep[]): Promise<void> {
  const sameAfterRename = (b: PlannedResource, r: PlannedResource): boolean => {
    const part = renamedPart(b.name, r.name);
    if (!part || b.type !== r.type) return false;
    return stableJson(stripInternal(b.inputs)).split(part.old).join(part.new) === stableJson(stripInternal(r.inputs));
  };
  for (const d of steps.filter((s) => s.op === "delete")) {
    const candidates = steps.filter((c) => c.op === "create" && c.component === d.component && sameAfterRename(d.resource, c.resource));
    // Only an unambiguous pair: two new resources that could each be the old one are left as they are.
    if (candidates.length !== 1) continue;
    const created = candidates[0]!;
    const { changes } = await compare(d.resource, created.resource);
    const replaced: ResourceStep = {
      op: "replace",
      resource: created.resource,
      component: created.component,
      changes: changes.map((c) => (c.replaces ? c : { ...c, replaces: "follows from the rename" })),
      renamedFrom: d.resource,
      note: `renamed from ${d.resource.name}: a new resource, and the old one is deleted with its data; pulumi preview lists them as + create and - delete`,
    };
    steps.splice(steps.indexOf(created), 1, replaced);
    steps.splice(steps.indexOf(d), 1);
  }
}

async function compare(b: PlannedResource, r: PlannedResource): Promise<{ op: Operation; changes: PropertyChange[]; note?: string }> {
  const raw = diffValues("", stripInternal(b.inputs), stripInternal(r.inputs)).filter(
    // azure-native compares locations without case and spaces (diff.go applyAzureSpecificDiff).
    (c) => !(c.path === "location" && normalizedLocation(c.old) === normalizedLocation(c.new)),
  );
  const dynamic = DYNAMIC_PROVIDERS[r.type];
  if (dynamic?.diff) {
    const d = await dynamic.diff(b.id ?? "", b.inputs as never, r.inputs as never);
    if (!d.changes) return { op: "same", changes: [] };
    const replaces = new Set(d.replaces ?? []);
    const changes = raw.map((c) => mask({ ...c, ...(replaces.has(topKey(c.path)) ? { replaces: "the provider's diff" } : {}) }));
    return { op: replaces.size > 0 ? "replace" : "update", changes };
  }
  if (raw.length === 0) return { op: "same", changes: [] };
  const changes = raw.map((c) => {
    const reason = replacementReason(topKey(c.path), b, r);
    return mask({ ...c, ...(reason ? { replaces: reason } : {}) });
  });
  const op: Operation = changes.some((c) => c.replaces) ? "replace" : "update";
  const note = r.type.startsWith("azuread:") ? "azuread replacement rules are not modelled offline" : undefined;
  return { op, changes, ...(note ? { note } : {}) };
}

/** The dynamic provider's serialized code is not a property a reader changes. */
function stripInternal(inputs: Record<string, unknown>): Record<string, unknown> {
  const { __provider: _provider, ...rest } = inputs;
  return rest;
}

function mask(c: PropertyChange): PropertyChange {
  return {
    ...c,
    ...("old" in c ? { old: maskSensitive(c.path, c.old) } : {}),
    ...("new" in c ? { new: maskSensitive(c.path, c.new) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Security-relevant changes
// ---------------------------------------------------------------------------------------------

const ROLE_ASSIGNMENT_TYPES = new Set([
  "azure-native:authorization:RoleAssignment",
  "azure-native:cosmosdb:SqlResourceSqlRoleAssignment",
  "azuread:index/appRoleAssignment:AppRoleAssignment",
  "azure-native:managedidentity:FederatedIdentityCredential",
  "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
  "azuread:index/applicationPreAuthorized:ApplicationPreAuthorized",
]);

const POLICY_TYPES = new Set([
  "azure-native:apimanagement:Policy",
  "azure-native:apimanagement:ApiPolicy",
  "azure-native:apimanagement:ApiOperationPolicy",
  "azure-native:apimanagement:ProductPolicy",
]);

const AUTH_TYPES = new Set([
  "azure-native:web:WebAppAuthSettingsV2",
  "azure-native:web:WebAppFtpAllowed",
  "azure-native:web:WebAppScmAllowed",
  "azuread:index/application:Application",
  "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri",
]);

const NETWORK_TYPES = new Set([
  "azure-native:network:PrivateEndpoint",
  "azure-native:network:VirtualNetwork",
  "azure-native:network:PrivateDnsZoneGroup",
  "azure-native:privatedns:PrivateZone",
  "azure-native:privatedns:VirtualNetworkLink",
]);

/** Types with a public endpoint unless a network property says otherwise. */
const PUBLIC_BY_DEFAULT = new Set([
  "azure-native:storage:StorageAccount",
  "azure-native:cosmosdb:DatabaseAccount",
  "azure-native:web:WebApp",
  "azure-native:keyvault:Vault",
  "azure-native:eventgrid:Topic",
  "azure-native:apimanagement:ApiManagementService",
]);

/** Input properties (anywhere in the inputs) that open or close a resource to networks. */
const NETWORK_PROPERTIES = /publicNetworkAccess|networkRuleSet|networkAcls|ipRules|ipSecurityRestrictions|scmIpSecurityRestrictions|virtualNetworkRules|isVirtualNetworkFilterEnabled|allowBlobPublicAccess|cors|virtualNetworkSubnetId|vnetRouteAllEnabled|inboundIpRules|defaultAction|publicIpAddress/;
/** Input properties that decide how callers authenticate. */
const AUTH_PROPERTIES = /disableLocalAuth|allowSharedKeyAccess|enableRbacAuthorization|minimumTlsVersion|minTlsVersion|scmMinTlsVersion|httpsOnly|ftpsState|authSettings|clientCertEnabled|clientCertMode|disableLocalAuthentication|subscriptionRequired|identity|accessPolicies/;

/** Well-known role definition GUIDs → names (components/core/roles.ts holds the ones we grant). */
function roleNames(): Map<string, string> {
  const m = new Map<string, string>();
  for (const [name, id] of Object.entries(BuiltInRole)) m.set(id, name);
  for (const [name, id] of Object.entries(CosmosDataRole)) m.set(id, `Cosmos DB data ${name}`);
  return m;
}

/** An ARM id shortened to what a reviewer recognises: `<top resource>/<child type>/<child>`. */
export function shortScope(id: unknown): string {
  if (typeof id !== "string") return String(id);
  const m = /\/providers\/[^/]+\/[^/]+\/([^/]+)(.*)$/i.exec(id);
  if (!m) {
    const rg = /\/resourceGroups\/([^/]+)$/i.exec(id);
    return rg ? `resource group ${rg[1]}` : id;
  }
  const rest = (m[2] ?? "").split("/").filter(Boolean);
  // Drop the default service segments (blobServices/default) that every child carries.
  const kept: string[] = [];
  for (let i = 0; i + 1 < rest.length; i += 2) {
    if (rest[i + 1] !== "default") kept.push(`${rest[i]}/${rest[i + 1]}`);
  }
  return [m[1], ...kept].join("/");
}

function securityChanges(steps: readonly ResourceStep[], base: Plan | undefined, head: Plan): SecurityChange[] {
  const roles = roleNames();
  // Principals by object id: managed identities (user-assigned, system-assigned) and Entra service principals.
  const principals = new Map<string, string>();
  const appRoles = new Map<string, string>();
  for (const r of [...(base?.resources ?? []), ...head.resources]) {
    if (r.type === "azure-native:managedidentity:UserAssignedIdentity" && typeof r.outputs.principalId === "string") principals.set(r.outputs.principalId, `identity ${r.name}`);
    if (r.type === "azuread:index/servicePrincipal:ServicePrincipal" && typeof r.outputs.objectId === "string") principals.set(r.outputs.objectId, `service principal ${r.name}`);
    const identity = r.outputs.identity;
    if (r.custom && isObject(identity) && typeof identity.principalId === "string") principals.set(identity.principalId, `${r.name} (system identity)`);
    if (r.type === "azuread:index/application:Application" && Array.isArray(r.inputs.appRoles)) {
      for (const role of r.inputs.appRoles) if (isObject(role) && typeof role.id === "string" && typeof role.value === "string") appRoles.set(role.id, role.value);
    }
  }
  const who = (id: unknown): string => (typeof id === "string" ? (principals.get(id) ?? id) : String(id));
  const roleOf = (id: unknown): string => {
    const guid = typeof id === "string" ? id.split("/").pop()! : String(id);
    return roles.get(guid) ?? guid;
  };
  const out: SecurityChange[] = [];
  const changed = (s: ResourceStep, pattern: RegExp): string[] => [...new Set(s.changes.map((c) => c.path).filter((p) => pattern.test(p)))];
  for (const s of steps) {
    if (s.op === "same") continue;
    const r = s.resource;
    const i = r.inputs;
    const op = s.op;
    if (ROLE_ASSIGNMENT_TYPES.has(r.type)) {
      const summary =
        r.type === "azure-native:authorization:RoleAssignment" || r.type === "azure-native:cosmosdb:SqlResourceSqlRoleAssignment"
          ? `${roleOf(i.roleDefinitionId)} for ${who(i.principalId)} on ${shortScope(i.scope)}`
          : r.type === "azuread:index/appRoleAssignment:AppRoleAssignment"
            ? `app role ${appRoles.get(String(i.appRoleId)) ?? String(i.appRoleId)} for ${who(i.principalObjectId)} on ${who(i.resourceObjectId)}`
            : `${r.type.split(":").pop()} ${r.name}${typeof i.subject === "string" ? ` (subject ${i.subject})` : ""}`;
      out.push({ category: "role assignments", op, resource: r, summary });
      continue;
    }
    if (POLICY_TYPES.has(r.type)) {
      const change = s.changes.find((c) => c.path === "value");
      const lines = change ? lineDelta(change.old, change.new) : "";
      out.push({ category: "gateway policy documents", op, resource: r, summary: `${r.name}${lines}` });
      continue;
    }
    const whole = op === "create" || op === "delete";
    if (AUTH_TYPES.has(r.type)) {
      const props = whole ? [] : changed(s, /./);
      out.push({ category: "authentication", op, resource: r, summary: `${r.type.split(":").pop()} ${r.name}${props.length ? `: ${props.join(", ")}` : ""}` });
      continue;
    }
    if (NETWORK_TYPES.has(r.type)) {
      out.push({ category: "network exposure", op, resource: r, summary: `${r.type.split(":").pop()} ${r.name}` });
      continue;
    }
    if (whole) {
      // A new resource's exposure: the network settings it is created with (none: its public endpoint).
      if (op === "create" && PUBLIC_BY_DEFAULT.has(r.type)) {
        const net = leafValues(i).filter(([p]) => NETWORK_PROPERTIES.test(p));
        const shown = net.slice(0, 3).map(([p, v]) => `${p} ${JSON.stringify(v)}`).join(", ") + (net.length > 3 ? `, … (${net.length - 3} more)` : "");
        out.push({ category: "network exposure", op, resource: r, summary: `${r.type.split(":").pop()} ${r.name}: ${net.length ? shown : "no network restriction set (public endpoint)"}` });
      }
      continue;
    }
    const net = changed(s, NETWORK_PROPERTIES);
    if (net.length > 0) out.push({ category: "network exposure", op, resource: r, summary: `${r.type.split(":").pop()} ${r.name}: ${net.join(", ")}` });
    const auth = changed(s, AUTH_PROPERTIES);
    if (auth.length > 0) out.push({ category: "authentication", op, resource: r, summary: `${r.type.split(":").pop()} ${r.name}: ${auth.join(", ")}` });
  }
  return out;
}

function leafValues(v: unknown, path = ""): [string, unknown][] {
  if (isObject(v)) return Object.entries(v).flatMap(([k, x]) => leafValues(x, join(path, k)));
  return path ? [[path, v]] : [];
}

/** " (+3 −1 lines)" for a changed document. */
function lineDelta(a: unknown, b: unknown): string {
  if (typeof a !== "string" || typeof b !== "string") return "";
  const before = a.split("\n").map((l) => l.trim());
  const after = b.split("\n").map((l) => l.trim());
  const added = after.filter((l) => !before.includes(l)).length;
  const removed = before.filter((l) => !after.includes(l)).length;
  return ` (+${added} −${removed} lines)`;
}

/** "Resources: + 3 to create, ~ 1 to update, +- 1 to replace, - 0 to delete, 187 unchanged" — the CLI's and the report's words. */
export function summaryLine(c: Counts): string {
  return `Resources: + ${c.create} to create, ~ ${c.update} to update, +- ${c.replace} to replace, - ${c.delete} to delete, ${c.same} unchanged`;
}

/** The symbol `pulumi preview` prints for each operation. */
export const SYMBOL: Readonly<Record<Operation, string>> = { create: "+", update: "~", replace: "+-", delete: "-", same: " " };
