/**
 * Application Insights ingestion with Microsoft Entra authentication, as the plan configures it
 * (`disableLocalAuth: true` on the component): a telemetry batch `POST <IngestionEndpoint>v2.1/track`
 * must carry a bearer token for `https://monitor.azure.com/` whose principal holds
 * `Microsoft.Insights/Telemetry/Write` on the component (Monitoring Metrics Publisher); otherwise it is
 * refused with 403 (401 without a token), and with local auth disabled the instrumentation key alone is
 * not enough. The component is found by the envelopes' `iKey`.
 * https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication (audience, role, 401/403,
 * `APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD;ClientId=<id>` for a user-assigned identity).
 *
 * Who sends: each app's host (its request telemetry, one envelope per invocation, as the app's identity
 * named by APPLICATIONINSIGHTS_AUTHENTICATION_STRING) and the gateway (its Application Insights logger with
 * `identityClientId: SystemAssigned`). The twin keeps what it accepted (`accepted`) for the scenarios.
 * Not emulated: Live Metrics, the query API, sampling (every envelope is accepted or refused as a batch).
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Certificate } from "./emulators";
import type { AppInsightsModel } from "./model";
import type { Authorizer } from "./rbac";
import { bearerOf, type TokenIssuer } from "./tokens";

/** The audience Application Insights ingestion accepts for Entra tokens. */
export const MONITOR_AUDIENCES = ["https://monitor.azure.com", "https://monitor.azure.com/"];
export const TELEMETRY_WRITE = "Microsoft.Insights/Telemetry/Write";

export interface TelemetryOptions {
  readonly components: readonly AppInsightsModel[];
  readonly authorizer: Authorizer;
  readonly issuer: TokenIssuer;
  readonly certificate: Certificate;
  readonly labelOf: (principalId: string) => string;
}

/** The ingestion endpoint's answer to a batch: `itemsReceived`/`itemsAccepted` as the service reports them. */
function answer(res: ServerResponse, status: number, received: number, accepted: number, message?: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ itemsReceived: received, itemsAccepted: accepted, errors: message ? [{ index: 0, statusCode: status, message }] : [] }));
}

export class TelemetryIngestion {
  #server?: Server;
  url = "";
  /** Accepted envelopes: who sent them (principal label) and their name (e.g. `Microsoft.ApplicationInsights.Request`). */
  readonly accepted: { readonly sender: string; readonly component: string; readonly name: string }[] = [];

  constructor(private readonly options: TelemetryOptions) {}

  async start(): Promise<void> {
    this.#server = createServer({ cert: this.options.certificate.cert, key: this.options.certificate.key }, (req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", () => resolve()));
    this.url = `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}/`;
  }

  /** A connection string with its IngestionEndpoint replaced by the local one (the key and ids unchanged). */
  localConnectionString(connectionString: string): string {
    return connectionString.replace(/IngestionEndpoint=[^;]*/i, `IngestionEndpoint=${this.url}`);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of req) body += (chunk as Buffer).toString();
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method !== "POST" || !/^\/v2(\.1)?\/track$/.test(path)) return answer(res, 404, 0, 0, `twin: ${req.method} ${path} is not an ingestion route (POST /v2.1/track)`);
    let envelopes: { iKey?: string; name?: string }[];
    try {
      const parsed = body.trim().startsWith("[") ? (JSON.parse(body) as unknown[]) : body.split("\n").filter(Boolean).map((l) => JSON.parse(l) as unknown);
      envelopes = parsed as { iKey?: string; name?: string }[];
    } catch {
      return answer(res, 400, 0, 0, "the body is neither a JSON array nor newline-delimited JSON envelopes");
    }
    const iKey = envelopes[0]?.iKey ?? "";
    const component = this.options.components.find((c) => c.instrumentationKey.toLowerCase() === iKey.toLowerCase());
    if (!component) return answer(res, 400, envelopes.length, 0, `no Application Insights component with instrumentation key ${iKey} in the plan`);
    const token = bearerOf(req.headers.authorization);
    if (!token) {
      return answer(res, 401, envelopes.length, 0, `component ${component.name} disables local authentication: telemetry needs a Microsoft Entra token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)`);
    }
    let oid: string;
    try {
      oid = this.options.issuer.verify(token, MONITOR_AUDIENCES).claims.oid;
    } catch (error) {
      return answer(res, 401, envelopes.length, 0, (error as Error).message);
    }
    const label = this.options.labelOf(oid);
    const decision = this.options.authorizer.authorize({ principalId: oid, principalLabel: label, action: TELEMETRY_WRITE, resource: component.resourceId, operation: `POST ${path}` });
    if (!decision.allowed) return answer(res, 403, envelopes.length, 0, decision.message);
    for (const e of envelopes) this.accepted.push({ sender: label, component: component.name, name: String(e.name ?? "") });
    answer(res, 200, envelopes.length, envelopes.length);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.#server) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
