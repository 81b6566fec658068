/**
 * OneDeploy to a Flex Consumption Function App: the HTTP exchange the Azure tools (Core Tools, the
 * Azure CLI, the Functions GitHub Action, azd) perform, written against injected dependencies so it
 * can be tested against a local server. The contract is in shared/AZURE-NOTES.md ("The OneDeploy
 * contract on Flex"):
 *
 * 1. ARM `GET {siteId}`: confirm the Flex sku and find the SCM host (`hostType == "Repository"`).
 * 2. `POST https://{scm}/api/publish?RemoteBuild=false&Deployer=…` with the zip and an Entra bearer
 *    token; only `202 Accepted` starts a deployment. Transient answers (408/409/429/5xx, network) are
 *    retried with exponential backoff; 401/403 and `BlobUploadFailedException` (RBAC of new role
 *    assignments still propagating) are retried for a bounded window.
 * 3. Poll the `Location` (keeping the `ARRAffinity` cookie) and read the body's `status`: HTTP is 200
 *    whether the deployment runs, succeeded or failed.
 * 4. On failure, fetch the deployment log and its details right away and put them in the error.
 * 5. When the status record vanishes after "deploying" (Azure/azure-dev#4439: a failed deployment's
 *    record can vanish too), ask `GET /api/deployments/latest`, then ARM for the functions the app
 *    lists (`GET {siteId}/functions`): success only when the bundle's functions are all there;
 *    otherwise the deployment fails, so the resource is not recorded and the next `up` deploys again.
 *
 * This module is loaded by the Pulumi dynamic provider in its own process (see deployment.ts): it
 * must stay self-contained (no Pulumi, no other module of ours), and load `@azure/identity` lazily.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

/** Deployment status codes in the body of `GET /api/deployments/{id}`. */
export const DeploymentStatus = {
  Cancelled: -1,
  Pending: 0,
  Building: 1,
  Deploying: 2,
  Failed: 3,
  Success: 4,
  Conflict: 5,
  PartialSuccess: 6,
} as const;
export type DeploymentStatusCode = (typeof DeploymentStatus)[keyof typeof DeploymentStatus];

const STATUS_NAMES: Record<number, string> = {
  [-1]: "cancelled",
  0: "pending",
  1: "building",
  2: "deploying",
  3: "failed",
  4: "success",
  5: "conflict",
  6: "partial success",
};

/** Token scope of the SCM (Kudu) endpoints; newer tools use it, ARM tokens for Kudu are being deprecated. */
export const APP_SERVICE_SCOPE = "https://appservice.azure.com/.default";
export const DEFAULT_ARM_ENDPOINT = "https://management.azure.com";
/** ARM API version used to read the site (it returns `properties.sku` and `hostNameSslStates`). */
export const SITE_API_VERSION = "2023-12-01";

export interface DeploymentLimits {
  /** Bound on the whole deployment: publish retries plus polling. @default 20 minutes */
  readonly totalMs: number;
  /** How long after the first attempt 401/403 and upload failures are retried. @default 10 minutes */
  readonly rbacPropagationMs: number;
  /** Delay between status polls. @default 1 second */
  readonly pollIntervalMs: number;
  /** First retry delay; doubles each retry up to `maxBackoffMs`. @default 2 seconds */
  readonly initialBackoffMs: number;
  /** @default 30 seconds */
  readonly maxBackoffMs: number;
  /** Consecutive 404s tolerated before the first status body (the record is not there yet). @default 30 */
  readonly maxInitialNotFound: number;
  /** Consecutive 404s tolerated after a status body (the worker recycled) before the last body decides. @default 10 */
  readonly maxNotFoundAfterStatus: number;
  /** Timeout of one HTTP request (the upload of a large zip included). @default 5 minutes */
  readonly requestTimeoutMs: number;
  /** ARM reads of the app's function list after a vanished status record, while it syncs. @default 6 */
  readonly armConfirmAttempts: number;
  /** Delay between those ARM reads. @default 10 seconds */
  readonly armConfirmIntervalMs: number;
}

export const DEFAULT_LIMITS: DeploymentLimits = {
  totalMs: 20 * 60_000,
  rbacPropagationMs: 10 * 60_000,
  pollIntervalMs: 1_000,
  initialBackoffMs: 2_000,
  maxBackoffMs: 30_000,
  maxInitialNotFound: 30,
  maxNotFoundAfterStatus: 10,
  requestTimeoutMs: 5 * 60_000,
  armConfirmAttempts: 6,
  armConfirmIntervalMs: 10_000,
};

export interface DeploymentRequest {
  /** ARM resource id of the Function App: `/subscriptions/…/providers/Microsoft.Web/sites/<name>`. */
  readonly siteId: string;
  /** The package (zip bytes). */
  readonly zip: Uint8Array;
  /** @default "https://management.azure.com" (another cloud's ARM endpoint otherwise) */
  readonly armEndpoint?: string;
  /** Recorded by the platform as the deployment's author. @default "pulumi" */
  readonly deployer?: string;
  /** @default DEFAULT_LIMITS */
  readonly limits?: Partial<DeploymentLimits>;
  /**
   * The functions the package registers (names): what ARM must list when the deployment's status
   * record vanished before its outcome was read. @default none (such a deployment then fails)
   */
  readonly expectedFunctions?: readonly string[];
}

export interface DeploymentResult {
  readonly deploymentId: string;
  readonly scmHost: string;
  readonly status: DeploymentStatusCode;
  readonly statusText: string;
  /** Number of `POST /api/publish` calls made. */
  readonly publishAttempts: number;
  readonly elapsedMs: number;
  /** Always true: a deployment whose outcome cannot be confirmed fails instead (kept for the recorded state's shape). */
  readonly confirmed: boolean;
  /**
   * What confirmed the success: the deployment's status record, `/api/deployments/latest` (the
   * record vanished), or ARM listing every function of the package (both vanished).
   */
  readonly confirmedBy: "status" | "latest" | "arm";
}

/** The subset of `fetch` this module uses. */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export interface DeploymentDeps {
  readonly fetch: FetchLike;
  /** An Entra access token for the scope (e.g. `https://appservice.azure.com/.default`). */
  readonly getToken: (scope: string) => Promise<string>;
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds; only differences are used. */
  readonly now: () => number;
  /** Progress and retry notes. @default no output */
  readonly log: (message: string) => void;
}

export type DeploymentFailureKind = "request" | "site" | "auth" | "publish" | "deployment" | "timeout";

export class OneDeployError extends Error {
  readonly kind: DeploymentFailureKind;
  readonly httpStatus: number | undefined;
  readonly deploymentId: string | undefined;
  /** Deployment log messages (with their details), when the platform reported a failed deployment. */
  readonly logs: readonly string[];

  constructor(
    kind: DeploymentFailureKind,
    message: string,
    extra: { httpStatus?: number; deploymentId?: string; logs?: readonly string[] } = {},
  ) {
    const logs = extra.logs ?? [];
    super(logs.length > 0 ? `${message}\nDeployment log:\n${logs.map((l) => `  ${l}`).join("\n")}` : message);
    this.name = "OneDeployError";
    this.kind = kind;
    this.httpStatus = extra.httpStatus;
    this.deploymentId = extra.deploymentId;
    this.logs = logs;
  }
}

/** `fetch`, `DefaultAzureCredential` (loaded on first use), real timers and clock, no log output. */
export function defaultDeps(): DeploymentDeps {
  let credential: Promise<{ getToken(scope: string): Promise<{ token: string } | null> }> | undefined;
  return {
    fetch: (url, init) => fetch(url, init),
    getToken: async (scope) => {
      credential ??= import("@azure/identity").then((m) => new m.DefaultAzureCredential());
      const token = await (await credential).getToken(scope);
      if (!token) throw new Error(`no access token for ${scope}`);
      return token.token;
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    log: () => undefined,
  };
}

const UPLOAD_FAILURE = /BlobUploadFailed|fail(?:ed|ure)?\s+(?:to\s+)?upload|upload(?:ing)?\s+(?:has\s+)?fail/i;
const TRANSIENT_HTTP = new Set([408, 409, 429, 500, 502, 503, 504]);
const MAX_LOG_LINES = 200;

/**
 * Publishes `request.zip` to the Flex Consumption app `request.siteId` with OneDeploy and waits until
 * the platform reports the deployment's outcome.
 *
 * @throws OneDeployError with the deployment log when the deployment fails, and a message naming the
 *   missing permission, the HTTP status or the exhausted time budget otherwise.
 */
export async function deployPackage(request: DeploymentRequest, deps: Partial<DeploymentDeps> = {}): Promise<DeploymentResult> {
  const d: DeploymentDeps = { ...defaultDeps(), ...deps };
  const limits: DeploymentLimits = { ...DEFAULT_LIMITS, ...request.limits };
  const siteId = validateSiteId(request.siteId);
  const siteName = siteId.split("/").pop() ?? siteId;
  const arm = (request.armEndpoint ?? DEFAULT_ARM_ENDPOINT).replace(/\/+$/, "");
  const armScope = `${arm}/.default`;
  const start = d.now();
  const clock = new Budget(d, limits, start, siteName);

  const scmHost = await findScmHost(d, clock, arm, armScope, siteId, siteName, limits);
  const tokens = new ScmTokens(d, armScope);
  const publishUrl = `https://${scmHost}/api/publish?RemoteBuild=false&Deployer=${encodeURIComponent(request.deployer ?? "pulumi")}`;

  let attempts = 0;
  for (;;) {
    attempts += 1;
    const token = await tokens.get();
    let response: Response;
    try {
      response = await d.fetch(publishUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/zip",
          "Cache-Control": "no-cache",
          Authorization: `Bearer ${token.value}`,
        },
        // A copy typed as a plain ArrayBuffer view, which every BodyInit typing accepts.
        body: new Uint8Array(request.zip),
        signal: AbortSignal.timeout(limits.requestTimeoutMs),
      });
    } catch (error) {
      await clock.retryAfter(`POST /api/publish failed: ${describeError(error)}`);
      continue;
    }

    const status = response.status;
    if (status === 202) {
      const accepted = await readAccepted(response, scmHost);
      d.log(`${siteName}: deployment ${accepted.deploymentId} accepted (attempt ${attempts})`);
      const confirm: ArmConfirmation = { arm, armScope, siteId, scmHost, expectedFunctions: request.expectedFunctions ?? [] };
      const outcome = await pollDeployment(d, clock, limits, tokens, accepted, siteName, confirm);
      if (outcome.kind === "succeeded") {
        return {
          deploymentId: accepted.deploymentId,
          scmHost,
          status: outcome.status,
          statusText: outcome.statusText,
          publishAttempts: attempts,
          elapsedMs: d.now() - start,
          confirmed: true,
          confirmedBy: outcome.confirmedBy,
        };
      }
      if (outcome.uploadFailed && clock.withinRbacWindow()) {
        await clock.retryAfter(`deployment ${accepted.deploymentId} could not upload the package (storage role assignment still propagating?)`);
        continue;
      }
      throw new OneDeployError("deployment", outcome.message, { deploymentId: accepted.deploymentId, logs: outcome.logs });
    }

    const body = await safeText(response);
    if (status === 401 || status === 403) {
      if (status === 401) tokens.switchScope();
      const problem =
        `POST /api/publish answered ${status}: the deploying identity needs Microsoft.Web/sites/publish/Action on ${siteName} ` +
        `(e.g. the Website Contributor role); a new role assignment can take minutes to apply`;
      if (!clock.withinRbacWindow()) {
        throw new OneDeployError("auth", `${problem}. Still refused after ${seconds(limits.rbacPropagationMs)}: ${truncate(body)}`, { httpStatus: status });
      }
      await clock.retryAfter(problem);
      continue;
    }
    if (status === 400 && UPLOAD_FAILURE.test(body)) {
      const problem = `the platform could not upload the package to the app's deployment storage (BlobUploadFailedException): the app identity needs Storage Blob Data Contributor or Owner on the deployment container`;
      if (!clock.withinRbacWindow()) {
        throw new OneDeployError("publish", `${problem}. Still failing after ${seconds(limits.rbacPropagationMs)}: ${truncate(body)}`, { httpStatus: status });
      }
      await clock.retryAfter(problem);
      continue;
    }
    if (TRANSIENT_HTTP.has(status)) {
      const why = status === 409 ? "another deployment is in progress" : "transient error";
      await clock.retryAfter(`POST /api/publish answered ${status} (${why})`, status);
      continue;
    }
    throw new OneDeployError("publish", `POST /api/publish to ${scmHost} answered ${status}: ${truncate(body)}`, { httpStatus: status });
  }
}

/** A package on disk, with the hash the Pulumi program computed when it built it. */
export interface PackageFileRequest extends Omit<DeploymentRequest, "zip"> {
  readonly packagePath: string;
  /** Hex SHA-256 the file must have: a package rebuilt since the plan is refused, not deployed. */
  readonly packageSha256: string;
}

/** Reads the package, checks its hash, then `deployPackage`s it. */
export async function deployPackageFile(request: PackageFileRequest, deps: Partial<DeploymentDeps> = {}): Promise<DeploymentResult> {
  let zip: Buffer;
  try {
    zip = await readFile(request.packagePath);
  } catch (error) {
    throw new OneDeployError("request", `cannot read the package ${request.packagePath} (it is built by the Pulumi program on the machine that deploys): ${describeError(error)}`);
  }
  const actual = createHash("sha256").update(zip).digest("hex");
  if (actual !== request.packageSha256.toLowerCase()) {
    throw new OneDeployError(
      "request",
      `the package ${request.packagePath} has sha256 ${actual}, not the ${request.packageSha256} the program computed: it changed since (another build running?); run the deployment again`,
    );
  }
  const { packagePath: _path, packageSha256: _sha, ...rest } = request;
  return deployPackage({ ...rest, zip }, deps);
}

function validateSiteId(siteId: string): string {
  const trimmed = siteId.replace(/\/+$/, "");
  if (!/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Web\/sites\/[^/]+$/i.test(trimmed)) {
    throw new OneDeployError("request", `"${siteId}" is not the ARM id of a Function App (/subscriptions/…/resourceGroups/…/providers/Microsoft.Web/sites/<name>)`);
  }
  return trimmed;
}

/** Wall-clock budget shared by all the retries of one deployment. */
class Budget {
  private backoffMs: number;
  private lastProblem = "";

  constructor(
    private readonly d: DeploymentDeps,
    private readonly limits: DeploymentLimits,
    private readonly start: number,
    private readonly siteName: string,
  ) {
    this.backoffMs = limits.initialBackoffMs;
  }

  withinRbacWindow(): boolean {
    return this.d.now() - this.start < this.limits.rbacPropagationMs;
  }

  /** Waits before the next attempt (exponential backoff) or gives up if the budget would be exceeded. */
  async retryAfter(problem: string, httpStatus?: number): Promise<void> {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.limits.maxBackoffMs);
    this.d.log(`${this.siteName}: ${problem}; retrying in ${seconds(delay)}`);
    await this.wait(delay, problem, httpStatus);
  }

  /** Sleeps, unless that would end after the overall deadline. */
  async wait(ms: number, problem: string, httpStatus?: number): Promise<void> {
    if (this.d.now() + ms - this.start > this.limits.totalMs) {
      throw new OneDeployError(
        "timeout",
        `OneDeploy to ${this.siteName} gave up after ${seconds(this.d.now() - this.start)} (limit ${seconds(this.limits.totalMs)}): ${problem || this.lastProblem}`,
        httpStatus === undefined ? {} : { httpStatus },
      );
    }
    this.lastProblem = problem;
    await this.d.sleep(ms);
  }
}

/** The SCM token: the App Service scope first, the ARM scope if that scope cannot be had or is refused. */
class ScmTokens {
  private useArmScope = false;
  constructor(
    private readonly d: DeploymentDeps,
    private readonly armScope: string,
  ) {}

  async get(): Promise<{ value: string; scope: string }> {
    if (!this.useArmScope) {
      try {
        return { value: await this.d.getToken(APP_SERVICE_SCOPE), scope: APP_SERVICE_SCOPE };
      } catch (error) {
        this.d.log(`no token for ${APP_SERVICE_SCOPE} (${describeError(error)}); using ${this.armScope}`);
        this.useArmScope = true;
      }
    }
    try {
      return { value: await this.d.getToken(this.armScope), scope: this.armScope };
    } catch (error) {
      throw new OneDeployError("auth", `could not get an Entra token for ${APP_SERVICE_SCOPE} or ${this.armScope}: ${describeError(error)}`);
    }
  }

  /** After a 401, try the other scope next time. */
  switchScope(): void {
    this.useArmScope = !this.useArmScope;
  }
}

interface ArmSite {
  readonly properties?: {
    readonly sku?: string;
    readonly hostNameSslStates?: readonly { readonly name?: string; readonly hostType?: string }[];
  };
}

async function findScmHost(
  d: DeploymentDeps,
  clock: Budget,
  arm: string,
  armScope: string,
  siteId: string,
  siteName: string,
  limits: DeploymentLimits,
): Promise<string> {
  const url = `${arm}${siteId}?api-version=${SITE_API_VERSION}`;
  for (;;) {
    let token: string;
    try {
      token = await d.getToken(armScope);
    } catch (error) {
      throw new OneDeployError("auth", `could not get an Entra token for ${armScope}: ${describeError(error)}`);
    }
    let response: Response;
    try {
      response = await d.fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(limits.requestTimeoutMs) });
    } catch (error) {
      await clock.retryAfter(`GET ${siteId} failed: ${describeError(error)}`);
      continue;
    }
    if (response.status === 200) {
      const site = (await response.json()) as ArmSite;
      const sku = site.properties?.sku ?? "(none)";
      if (sku.toLowerCase() !== "flexconsumption") {
        throw new OneDeployError("site", `${siteName} runs on sku "${sku}", not FlexConsumption: this deployer only implements OneDeploy for Flex Consumption apps`);
      }
      const scm = site.properties?.hostNameSslStates?.find((h) => h.hostType?.toLowerCase() === "repository")?.name;
      if (!scm) throw new OneDeployError("site", `${siteName} has no SCM host (no hostNameSslStates entry with hostType "Repository")`);
      return scm;
    }
    const body = await safeText(response);
    if (TRANSIENT_HTTP.has(response.status)) {
      await clock.retryAfter(`GET ${siteId} answered ${response.status}`, response.status);
      continue;
    }
    const hint =
      response.status === 404 ? "the app does not exist (or the id is wrong)" : response.status === 401 || response.status === 403 ? "the deploying identity cannot read the app" : "unexpected answer";
    throw new OneDeployError("site", `GET ${siteId} answered ${response.status} (${hint}): ${truncate(body)}`, { httpStatus: response.status });
  }
}

interface Accepted {
  readonly deploymentId: string;
  readonly location: string;
  readonly cookie: string | undefined;
}

async function readAccepted(response: Response, scmHost: string): Promise<Accepted> {
  const text = (await safeText(response)).trim();
  let deploymentId = text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "string") deploymentId = parsed;
    else if (parsed && typeof parsed === "object" && typeof (parsed as { id?: unknown }).id === "string") deploymentId = (parsed as { id: string }).id;
  } catch {
    // A bare id: keep the text as is.
  }
  const location = response.headers.get("location") ?? `https://${scmHost}/api/deployments/${encodeURIComponent(deploymentId)}`;
  if (!deploymentId) deploymentId = decodeURIComponent(location.split("/").pop() ?? "");
  return { deploymentId, location: new URL(location, `https://${scmHost}/`).toString(), cookie: affinityCookie(response.headers) };
}

/** The `ARRAffinity` cookies (they pin the polls to the instance that runs the deployment). */
function affinityCookie(headers: Headers): string | undefined {
  const all = typeof headers.getSetCookie === "function" ? headers.getSetCookie() : (headers.get("set-cookie")?.split(/,(?=\s*[A-Za-z0-9_-]+=)/) ?? []);
  const pairs = all.map((c) => c.split(";")[0]?.trim() ?? "").filter((pair) => /^ARRAffinity[A-Za-z]*=/.test(pair));
  return pairs.length > 0 ? pairs.join("; ") : undefined;
}

interface StatusBody {
  readonly id?: string;
  readonly status?: number;
  readonly status_text?: string;
  readonly complete?: boolean;
  readonly log_url?: string;
}

type PollOutcome =
  | { readonly kind: "succeeded"; readonly status: DeploymentStatusCode; readonly statusText: string; readonly confirmedBy: DeploymentResult["confirmedBy"] }
  | { readonly kind: "failed"; readonly message: string; readonly logs: readonly string[]; readonly uploadFailed: boolean };

/** What is needed to confirm a deployment whose status record vanished. */
interface ArmConfirmation {
  readonly arm: string;
  readonly armScope: string;
  readonly siteId: string;
  readonly scmHost: string;
  readonly expectedFunctions: readonly string[];
}

async function pollDeployment(
  d: DeploymentDeps,
  clock: Budget,
  limits: DeploymentLimits,
  tokens: ScmTokens,
  accepted: Accepted,
  siteName: string,
  confirm: ArmConfirmation,
): Promise<PollOutcome> {
  let last: StatusBody | undefined;
  let notFound = 0;
  const describeLast = (): string => (last ? `last status ${last.status} (${statusName(last.status)}${last.status_text ? `: ${last.status_text}` : ""})` : "no status yet");

  for (;;) {
    await clock.wait(limits.pollIntervalMs, `deployment ${accepted.deploymentId} did not finish; ${describeLast()}`);
    const headers = await scmHeaders(tokens, accepted.cookie);
    let response: Response;
    try {
      response = await d.fetch(accepted.location, { headers, signal: AbortSignal.timeout(limits.requestTimeoutMs) });
    } catch (error) {
      d.log(`${siteName}: polling failed (${describeError(error)}); polling again`);
      continue;
    }

    if (response.status === 404) {
      await safeText(response);
      notFound += 1;
      if (!last && notFound > limits.maxInitialNotFound) {
        return { kind: "failed", message: `deployment ${accepted.deploymentId} on ${siteName}: its status record never appeared (${notFound} consecutive 404s)`, logs: [], uploadFailed: false };
      }
      if (last && notFound > limits.maxNotFoundAfterStatus) {
        // The deployment worker can recycle once the package is in place, but a failed deployment's
        // record can vanish too (Azure/azure-dev#4439): never infer success from the last body.
        if (last.status === DeploymentStatus.Deploying) {
          const latest = await readLatest(d, limits, tokens, accepted, confirm.scmHost);
          if (latest && latest.id === accepted.deploymentId && typeof latest.status === "number") {
            d.log(`${siteName}: status record of ${accepted.deploymentId} vanished; /api/deployments/latest says status ${latest.status}`);
            if (latest.status === DeploymentStatus.Success) {
              return { kind: "succeeded", status: DeploymentStatus.Success, statusText: latest.status_text ?? "", confirmedBy: "latest" };
            }
            if (latest.status === DeploymentStatus.Pending || latest.status === DeploymentStatus.Building || latest.status === DeploymentStatus.Deploying) {
              notFound = 0;
              last = latest;
              continue;
            }
            const logs = await fetchLogs(d, tokens, accepted, latest, limits);
            return {
              kind: "failed",
              message: `deployment ${accepted.deploymentId} on ${siteName} ended with status ${latest.status} (${statusName(latest.status)})${latest.status_text ? `: ${latest.status_text}` : ""} (read from /api/deployments/latest)`,
              logs,
              uploadFailed: latest.status === DeploymentStatus.Failed && UPLOAD_FAILURE.test(`${latest.status_text ?? ""}\n${logs.join("\n")}`),
            };
          }
          const listed = await confirmThroughArm(d, clock, limits, confirm, siteName);
          if (listed.ok) {
            d.log(`${siteName}: ARM lists every function of the package (${confirm.expectedFunctions.join(", ")}) after ${accepted.deploymentId}`);
            return { kind: "succeeded", status: DeploymentStatus.Success, statusText: last.status_text ?? "", confirmedBy: "arm" };
          }
          return {
            kind: "failed",
            message:
              `deployment ${accepted.deploymentId} on ${siteName} could not be confirmed: its status record vanished after "deploying" (${notFound} consecutive 404s), ` +
              `/api/deployments/latest ${latest ? `names deployment ${latest.id ?? "(none)"}` : "did not answer"}, and ${listed.why}. ` +
              "It is not recorded as deployed: the next `pulumi up` deploys it again",
            logs: [],
            uploadFailed: false,
          };
        }
        return {
          kind: "failed",
          message: `deployment ${accepted.deploymentId} on ${siteName}: the status record vanished (${notFound} consecutive 404s); ${describeLast()}`,
          logs: [],
          uploadFailed: false,
        };
      }
      continue;
    }
    if (response.status !== 200 && response.status !== 202) {
      // Token refresh, throttling, a recycling front end: keep polling within the overall budget.
      d.log(`${siteName}: polling answered ${response.status}; polling again`);
      await safeText(response);
      continue;
    }

    let body: StatusBody;
    try {
      body = (await response.json()) as StatusBody;
    } catch {
      continue;
    }
    notFound = 0;
    last = body;
    switch (body.status) {
      case DeploymentStatus.Pending:
      case DeploymentStatus.Building:
      case DeploymentStatus.Deploying:
        continue;
      case DeploymentStatus.Success:
        return { kind: "succeeded", status: DeploymentStatus.Success, statusText: body.status_text ?? "", confirmedBy: "status" };
      default: {
        const logs = await fetchLogs(d, tokens, accepted, body, limits);
        const text = `${body.status_text ?? ""}\n${logs.join("\n")}`;
        return {
          kind: "failed",
          message: `deployment ${accepted.deploymentId} on ${siteName} ended with status ${body.status} (${statusName(body.status)})${body.status_text ? `: ${body.status_text}` : ""}`,
          logs,
          uploadFailed: body.status === DeploymentStatus.Failed && UPLOAD_FAILURE.test(text),
        };
      }
    }
  }
}

/** `GET https://{scm}/api/deployments/latest`: the most recent deployment's status body, if readable. */
async function readLatest(d: DeploymentDeps, limits: DeploymentLimits, tokens: ScmTokens, accepted: Accepted, scmHost: string): Promise<StatusBody | undefined> {
  try {
    const response = await d.fetch(`https://${scmHost}/api/deployments/latest`, {
      headers: await scmHeaders(tokens, accepted.cookie),
      signal: AbortSignal.timeout(limits.requestTimeoutMs),
    });
    if (response.status !== 200) {
      await safeText(response);
      return undefined;
    }
    const body = (await response.json()) as StatusBody;
    return body && typeof body === "object" ? body : undefined;
  } catch {
    return undefined;
  }
}

/** ARM API version for the app's function list (`Microsoft.Web/sites/functions`, "WebApps_ListFunctions"). */
export const FUNCTIONS_API_VERSION = "2023-12-01";

/**
 * Reads the app's functions through ARM until every expected one is listed (the list syncs after a
 * deployment), within `armConfirmAttempts`. Names come as `<site>/<function>` (ARM `name`) or as
 * `properties.name`.
 */
async function confirmThroughArm(
  d: DeploymentDeps,
  clock: Budget,
  limits: DeploymentLimits,
  confirm: ArmConfirmation,
  siteName: string,
): Promise<{ ok: true } | { ok: false; why: string }> {
  if (confirm.expectedFunctions.length === 0) return { ok: false, why: "no expected functions were given to compare ARM's list with" };
  const url = `${confirm.arm}${confirm.siteId}/functions?api-version=${FUNCTIONS_API_VERSION}`;
  let why = "ARM was not asked";
  for (let attempt = 1; attempt <= limits.armConfirmAttempts; attempt++) {
    if (attempt > 1) await clock.wait(limits.armConfirmIntervalMs, `waiting for ARM to list the functions of ${siteName}`);
    try {
      const token = await d.getToken(confirm.armScope);
      const response = await d.fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(limits.requestTimeoutMs) });
      if (response.status !== 200) {
        why = `ARM's function list answered ${response.status}: ${truncate(await safeText(response))}`;
        continue;
      }
      const body = (await response.json()) as { value?: { name?: string; properties?: { name?: string } }[] };
      const listed = new Set((body.value ?? []).map((f) => (f.properties?.name ?? f.name?.split("/").pop() ?? "").toLowerCase()));
      const missing = confirm.expectedFunctions.filter((f) => !listed.has(f.toLowerCase()));
      if (missing.length === 0) return { ok: true };
      why = `ARM does not list ${missing.join(", ")} among the app's functions (${[...listed].join(", ") || "none"})`;
    } catch (error) {
      why = `ARM's function list could not be read: ${describeError(error)}`;
    }
  }
  return { ok: false, why };
}

interface LogEntry {
  readonly log_time?: string;
  readonly message?: string;
  readonly type?: number;
  readonly details_url?: string | null;
}

/** The deployment log and every entry's details, fetched at once (they vanish when the worker recycles). */
async function fetchLogs(d: DeploymentDeps, tokens: ScmTokens, accepted: Accepted, body: StatusBody, limits: DeploymentLimits): Promise<string[]> {
  const logUrl = body.log_url ? new URL(body.log_url, accepted.location).toString() : `${accepted.location.replace(/\/+$/, "")}/log`;
  const lines: string[] = [];
  const entries = await getJsonArray(d, tokens, accepted.cookie, logUrl, limits);
  if (typeof entries === "string") return [`(could not read the deployment log: ${entries})`];
  for (const entry of entries) {
    if (lines.length >= MAX_LOG_LINES) break;
    if (entry.message) lines.push(entry.message);
    if (entry.details_url) {
      const details = await getJsonArray(d, tokens, accepted.cookie, new URL(entry.details_url, logUrl).toString(), limits);
      if (typeof details === "string") lines.push(`  (could not read the details: ${details})`);
      else for (const detail of details) if (detail.message && lines.length < MAX_LOG_LINES) lines.push(`  ${detail.message}`);
    }
  }
  return lines;
}

async function getJsonArray(d: DeploymentDeps, tokens: ScmTokens, cookie: string | undefined, url: string, limits: DeploymentLimits): Promise<LogEntry[] | string> {
  try {
    const response = await d.fetch(url, { headers: await scmHeaders(tokens, cookie), signal: AbortSignal.timeout(limits.requestTimeoutMs) });
    if (response.status !== 200) {
      await safeText(response);
      return `HTTP ${response.status}`;
    }
    const parsed: unknown = await response.json();
    return Array.isArray(parsed) ? (parsed as LogEntry[]) : "not a JSON array";
  } catch (error) {
    return describeError(error);
  }
}

async function scmHeaders(tokens: ScmTokens, cookie: string | undefined): Promise<Record<string, string>> {
  const token = await tokens.get();
  return { Authorization: `Bearer ${token.value}`, ...(cookie ? { Cookie: cookie } : {}) };
}

function statusName(status: number | undefined): string {
  return status === undefined ? "unknown" : (STATUS_NAMES[status] ?? "unknown");
}

async function safeText(response: Response): Promise<string> {
  try {
    return await response.text();
  } catch {
    return "";
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

function truncate(text: string, max = 500): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine || "(empty body)";
}

function seconds(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 6_000) / 10} min` : `${Math.round(ms / 100) / 10} s`;
}
