/**
 * Sends request telemetry the way the Functions host and the APIM logger do with Entra authentication:
 * envelopes buffered and posted in batches to `<IngestionEndpoint>v2.1/track` with a bearer token for
 * `https://monitor.azure.com/` (https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication).
 * A refused batch is logged with the ingestion's message (telemetry is lost, the function is not failed:
 * that is what the host does too).
 */

export interface TelemetryExporterOptions {
  /** `APPLICATIONINSIGHTS_CONNECTION_STRING` (InstrumentationKey=…;IngestionEndpoint=…). */
  readonly connectionString: string;
  readonly getToken: () => Promise<string>;
  readonly onRefused: (status: number, message: string) => void;
  /** @default 1000 */
  readonly flushMs?: number;
  /** How to POST (default: fetch; the twin's own process passes one that trusts its certificate). */
  readonly send?: (url: string, headers: Record<string, string>, body: string) => Promise<{ status: number; text: string }>;
}

async function fetchSend(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: "POST", headers, body });
  return { status: response.status, text: await response.text() };
}

export class TelemetryExporter {
  readonly #iKey: string;
  readonly #endpoint: string;
  #buffer: object[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly options: TelemetryExporterOptions) {
    const part = (name: string): string | undefined => new RegExp(`${name}=([^;]+)`, "i").exec(options.connectionString)?.[1];
    this.#iKey = part("InstrumentationKey") ?? "";
    this.#endpoint = `${(part("IngestionEndpoint") ?? "https://dc.services.visualstudio.com/").replace(/\/?$/, "/")}v2.1/track`;
    this.#timer = setInterval(() => void this.flush(), options.flushMs ?? 1000);
    this.#timer.unref();
  }

  /** One request envelope (RequestData, the shape the ingestion schema names). */
  trackRequest(name: string, url: string, responseCode: number, durationMs: number, role: string): void {
    const d = new Date(durationMs);
    const duration = `00.${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}:${String(d.getUTCSeconds()).padStart(2, "0")}.${String(d.getUTCMilliseconds()).padStart(3, "0")}`;
    this.#buffer.push({
      name: "Microsoft.ApplicationInsights.Request",
      time: new Date().toISOString(),
      iKey: this.#iKey,
      tags: { "ai.cloud.role": role },
      data: { baseType: "RequestData", baseData: { ver: 2, id: crypto.randomUUID(), name, url, responseCode: String(responseCode), success: responseCode < 400, duration } },
    });
  }

  async flush(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    try {
      const token = await this.options.getToken();
      const response = await (this.options.send ?? fetchSend)(
        this.#endpoint,
        { "content-type": "application/x-json-stream", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        batch.map((e) => JSON.stringify(e)).join("\n"),
      );
      if (response.status >= 300) {
        let message = response.text;
        try {
          message = (JSON.parse(response.text) as { errors?: { message?: string }[] }).errors?.[0]?.message ?? message;
        } catch {
          /* not JSON */
        }
        this.options.onRefused(response.status, message);
      }
    } catch (error) {
      this.options.onRefused(0, (error as Error).message);
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
