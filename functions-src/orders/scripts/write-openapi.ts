/**
 * Writes the orders API description to `.build/openapi/orders.json` (a build output, not checked in):
 * `npx tsx functions-src/orders/scripts/write-openapi.ts [outFile]`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { openApiDocument } from "../src/openapi";

export function writeOpenApi(outFile: string = resolve(__dirname, "../../../.build/openapi/orders.json")): string {
  mkdirSync(dirname(outFile), { recursive: true });
  // Stable output (2-space JSON, trailing newline): unchanged schemas give an unchanged file.
  writeFileSync(outFile, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
  return outFile;
}

if (require.main === module) {
  const written = writeOpenApi(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`wrote ${written}`);
}
