/**
 * The liveness route every HTTP service serves: no dependency is called, so an outage elsewhere does
 * not take an app out of rotation. In its own module (no zod, no schemas, no service code) so that a
 * cold instance answers its first probe without loading the service's handlers.
 */
import type { HttpHandler } from "@azure/functions";
import { anonymous } from "./caller";
import { jsonResponse } from "./http";

export function healthHandler(service: string): HttpHandler {
  return anonymous(async () => jsonResponse(200, { status: "ok", service, time: new Date().toISOString() }, { "Cache-Control": "no-store" }));
}
