/**
 * The gateway's health API: `GET https://<gateway>/health/<service>` reaches each service's own
 * health route through the same gateway, without a subscription key or a token, so an availability
 * test can probe the whole path (DNS, TLS, gateway, Function App) without holding any secret.
 * `GET /health/all` asks every service from the gateway and answers 200 only when all are healthy:
 * one availability test (billed per run and location) covers every service.
 *
 * It exposes nothing but the health routes, which the Function Apps exclude from authentication and
 * which return no data.
 */
import * as pulumi from "@pulumi/pulumi";
import * as apimanagement from "@pulumi/azure-native/apimanagement";
import { policyDocument, setBackendService, type XmlElement } from "./policies";

export interface HealthTarget {
  /** Service name: the route is `/health/<service>`. */
  readonly service: string;
  /** The Function App's default host name. */
  readonly hostName: pulumi.Input<string>;
  /** The app's health path including its route prefix, e.g. `/api/health`. */
  readonly path: string;
}

export interface HealthApiArgs {
  readonly resourceGroupName: pulumi.Input<string>;
  readonly serviceName: pulumi.Input<string>;
  readonly targets: readonly HealthTarget[];
}

export const HEALTH_API_PATH = "health";
/** The aggregate route: `/health/all`. */
export const AGGREGATE_ROUTE = "all";

/** The policy of one health operation: forward to the app's health path, nothing else. */
export function healthOperationPolicy(hostName: string, path: string): string {
  if (!/^\/[A-Za-z0-9/_-]*$/.test(path)) throw new Error(`health path must be an absolute path, got "${path}"`);
  const rewrite: XmlElement = { name: "rewrite-uri", attributes: { template: path, "copy-unmatched-params": false } };
  return policyDocument({ inbound: [setBackendService({ baseUrl: `https://${hostName}` }), rewrite] }).xml;
}

/**
 * The aggregate probe's policy: one `send-request` per service (errors become a null response),
 * then 200 when every response is a 200, 503 otherwise, with each service's status in the body.
 */
export function aggregateHealthPolicy(targets: readonly { readonly service: string; readonly url: string }[]): string {
  const variable = (i: number): string => `health${i}`;
  const status = (i: number): string =>
    `(context.Variables.GetValueOrDefault<IResponse>("${variable(i)}") == null ? 0 : context.Variables.GetValueOrDefault<IResponse>("${variable(i)}").StatusCode)`;
  const requests: XmlElement[] = targets.map((t, i) => {
    if (!/^https:\/\/[^\s]+$/.test(t.url)) throw new Error(`health target "${t.service}": URL must be https, got "${t.url}"`);
    return {
      name: "send-request",
      attributes: { mode: "new", "response-variable-name": variable(i), timeout: 10, "ignore-error": true },
      children: [
        { name: "set-url", text: t.url },
        { name: "set-method", text: "GET" },
      ],
    };
  });
  const allHealthy = `@(${targets.map((_, i) => `${status(i)} == 200`).join(" && ") || "true"})`;
  const body = `@{ return new JObject(${targets
    .map((t, i) => `new JProperty("${t.service}", ${status(i)})`)
    .join(", ")}).ToString(); }`;
  const respond = (code: number, reason: string): XmlElement => ({
    name: "return-response",
    children: [
      { name: "set-status", attributes: { code, reason } },
      { name: "set-header", attributes: { name: "Content-Type", "exists-action": "override" }, children: [{ name: "value", text: "application/json" }] },
      { name: "set-body", text: body },
    ],
  });
  const decide: XmlElement = {
    name: "choose",
    children: [
      { name: "when", attributes: { condition: allHealthy }, children: [respond(200, "OK")] },
      { name: "otherwise", children: [respond(503, "Service Unavailable")] },
    ],
  };
  return policyDocument({ inbound: [...requests, decide] }).xml;
}

export class HealthApi extends pulumi.ComponentResource {
  readonly path = HEALTH_API_PATH;
  /** The aggregate probe's path on the gateway: `/health/all`. */
  readonly aggregatePath: string;

  constructor(name: string, args: HealthApiArgs, opts?: pulumi.ComponentResourceOptions) {
    const seen = new Set<string>();
    for (const t of args.targets) {
      if (!/^[a-z][a-z0-9-]*$/.test(t.service)) throw new Error(`health target "${t.service}": lowercase letters, digits and hyphens only`);
      if (t.service === AGGREGATE_ROUTE) throw new Error(`health target "${AGGREGATE_ROUTE}" would shadow the aggregate route`);
      if (seen.has(t.service)) throw new Error(`health target "${t.service}" is listed twice`);
      seen.add(t.service);
    }
    super("serverless-platform:apimanagement:HealthApi", name, {}, opts);
    const common = { resourceGroupName: args.resourceGroupName, serviceName: args.serviceName };
    const api = new apimanagement.Api(
      `${name}-api`,
      {
        ...common,
        apiId: "health",
        path: HEALTH_API_PATH,
        displayName: "Health",
        description: "Anonymous health probes of each service, for availability tests.",
        protocols: [apimanagement.Protocol.Https],
        // No key: availability tests must not hold secrets; the routes return no data.
        subscriptionRequired: false,
        apiType: apimanagement.ApiType.Http,
      },
      { parent: this },
    );
    for (const t of args.targets) {
      const operation = new apimanagement.ApiOperation(
        `${name}-${t.service}`,
        {
          ...common,
          apiId: api.name,
          operationId: `${t.service}-health`,
          displayName: `${t.service} health`,
          method: "GET",
          urlTemplate: `/${t.service}`,
          responses: [{ statusCode: 200, description: "The service is healthy." }],
        },
        { parent: this },
      );
      new apimanagement.ApiOperationPolicy(
        `${name}-${t.service}-policy`,
        {
          ...common,
          apiId: api.name,
          operationId: operation.name,
          policyId: "policy",
          format: apimanagement.PolicyContentFormat.Xml,
          value: pulumi.output(t.hostName).apply((host) => healthOperationPolicy(host, t.path)),
        },
        { parent: this },
      );
    }
    if (args.targets.length > 0) {
      const all = new apimanagement.ApiOperation(
        `${name}-all`,
        {
          ...common,
          apiId: api.name,
          operationId: "all-health",
          displayName: "All services' health",
          method: "GET",
          urlTemplate: `/${AGGREGATE_ROUTE}`,
          responses: [
            { statusCode: 200, description: "Every service is healthy." },
            { statusCode: 503, description: "At least one service is not." },
          ],
        },
        { parent: this },
      );
      new apimanagement.ApiOperationPolicy(
        `${name}-all-policy`,
        {
          ...common,
          apiId: api.name,
          operationId: all.name,
          policyId: "policy",
          format: apimanagement.PolicyContentFormat.Xml,
          value: pulumi
            .all(args.targets.map((t) => pulumi.output(t.hostName).apply((host) => ({ service: t.service, url: `https://${host}${t.path}` }))))
            .apply((targets) => aggregateHealthPolicy(targets)),
        },
        { parent: this },
      );
    }
    this.aggregatePath = `/${HEALTH_API_PATH}/${AGGREGATE_ROUTE}`;
    this.registerOutputs({});
  }
}
