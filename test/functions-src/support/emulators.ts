/**
 * Starts the local emulators the services' tests and the orders benchmark run against:
 * - Azurite's queue service, in memory, in a child process on a free loopback port;
 * - @vercel/cosmosdb-server in this process, over HTTPS with a certificate generated now with openssl
 *   (CN localhost, SAN IP:127.0.0.1 + DNS:localhost; the package's bundled one expired in 2021),
 *   keep-alive on (about three times faster).
 * Both are stopped by `stop()`; nothing is left on disk but a temp folder removed on stop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpsServer } from "@vercel/cosmosdb-server";
import { generateCertificate } from "../../../engine/twin/emulators";

/** The Cosmos DB emulator's published key (the server ignores it; the SDK needs one). */
export const COSMOS_EMULATOR_KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";
/** Azurite's published development account. */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** What tests need to reach the emulators (serialisable: passed to workers with `provide`). */
export interface EmulatorInfo {
  readonly cosmosEndpoint: string;
  readonly queueEndpoint: string;
  /** PEM files of the generated certificate (the CA to trust is the certificate itself). */
  readonly certFile: string;
  readonly keyFile: string;
  /** App settings in the local (emulator) form the services accept. */
  readonly settings: Readonly<Record<string, string>>;
}

export interface RunningEmulators extends EmulatorInfo {
  stop(): Promise<void>;
}

async function startCosmos(certFile: string, keyFile: string): Promise<{ server: Server; endpoint: string }> {
  const server = createHttpsServer({
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    keepAlive: true,
  } as Parameters<typeof createHttpsServer>[0]);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, endpoint: `https://127.0.0.1:${port}/` };
}

async function startAzurite(location: string): Promise<{ child: ChildProcess; endpoint: string }> {
  const main = require.resolve("azurite/dist/src/queue/main.js");
  const child = spawn(
    process.execPath,
    [
      main, "--queueHost", "127.0.0.1", "--queuePort", "0", "--inMemoryPersistence", "--disableTelemetry",
      "--silent", "--skipApiVersionCheck",
    ],
    // In-memory persistence refuses --location; the working directory keeps any stray file in the temp folder.
    { stdio: ["ignore", "pipe", "pipe"], cwd: location },
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`Azurite did not start in 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(`${match[1]}/${AZURITE_ACCOUNT}`);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}:\n${output}`));
    });
  });
  child.stdout?.removeAllListeners("data").resume();
  child.stderr?.removeAllListeners("data").resume();
  child.removeAllListeners("exit");
  return { child, endpoint };
}

export async function startEmulators(): Promise<RunningEmulators> {
  const directory = mkdtempSync(join(tmpdir(), "services-emulators-"));
  const { certFile, keyFile } = generateCertificate(directory);
  const [cosmosStart, azuriteStart] = await Promise.allSettled([startCosmos(certFile, keyFile), startAzurite(directory)]);
  if (cosmosStart.status === "rejected" || azuriteStart.status === "rejected") {
    if (cosmosStart.status === "fulfilled") cosmosStart.value.server.close();
    if (azuriteStart.status === "fulfilled") azuriteStart.value.child.kill("SIGTERM");
    rmSync(directory, { recursive: true, force: true });
    throw cosmosStart.status === "rejected" ? cosmosStart.reason : (azuriteStart as PromiseRejectedResult).reason;
  }
  const cosmos = cosmosStart.value;
  const azurite = azuriteStart.value;
  const settings = {
    COSMOS: `AccountEndpoint=${cosmos.endpoint};AccountKey=${COSMOS_EMULATOR_KEY};`,
    QUEUES:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `QueueEndpoint=${azurite.endpoint};`,
  };
  return {
    cosmosEndpoint: cosmos.endpoint,
    queueEndpoint: azurite.endpoint,
    certFile,
    keyFile,
    settings,
    async stop() {
      await new Promise<void>((resolve) => {
        cosmos.server.close(() => resolve());
        cosmos.server.closeAllConnections();
      });
      if (azurite.child.exitCode === null) {
        const exited = new Promise<void>((resolve) => azurite.child.once("exit", () => resolve()));
        azurite.child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
        if (azurite.child.exitCode === null) azurite.child.kill("SIGKILL");
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
