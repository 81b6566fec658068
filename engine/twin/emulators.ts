/**
 * The real local back ends the twin fronts: Azurite (blob, queue; in memory) with one account per
 * storage account in the plan (AZURITE_ACCOUNTS, so names stay the plan's), and @vercel/cosmosdb-server
 * over HTTPS with a certificate generated now (openssl; CN localhost, SAN 127.0.0.1). The twin's proxies
 * sit in front of both and are the only way the apps reach them.
 * Azurite accounts: https://github.com/Azure/Azurite#customized-storage-accounts--keys
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpsServer } from "@vercel/cosmosdb-server";

export interface Certificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface LocalBackends {
  readonly directory: string;
  readonly certificate: Certificate;
  /** `http://127.0.0.1:<port>` of Azurite's services. */
  readonly blobUrl: string;
  readonly queueUrl: string;
  readonly tableUrl: string;
  /** Account name → base64 key (generated; never leaves the twin). */
  readonly accountKeys: ReadonlyMap<string, string>;
  readonly cosmosUrl: string;
  stop(): Promise<void>;
}

export function generateCertificate(directory: string): Certificate {
  const certFile = join(directory, "cert.pem");
  const keyFile = join(directory, "key.pem");
  execFileSync(
    "openssl",
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=localhost",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-addext", "basicConstraints=critical,CA:TRUE",
    ],
    { stdio: "ignore" },
  );
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

async function startAzurite(directory: string, accounts: ReadonlyMap<string, string>): Promise<{ child: ChildProcess; blob: string; queue: string; table: string }> {
  const main = require.resolve("azurite/dist/src/azurite.js");
  const child = spawn(
    process.execPath,
    [
      main, "--blobHost", "127.0.0.1", "--blobPort", "0", "--queueHost", "127.0.0.1", "--queuePort", "0",
      "--tableHost", "127.0.0.1", "--tablePort", "0", "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck",
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: directory,
      env: { ...process.env, AZURITE_ACCOUNTS: [...accounts].map(([n, k]) => `${n}:${k}`).join(";") },
    },
  );
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`Azurite did not start in 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const blob = /Blob service is successfully listening at (http:\/\/[\d.:]+)/.exec(output)?.[1];
      const queue = /Queue service is successfully listening at (http:\/\/[\d.:]+)/.exec(output)?.[1];
      const table = /Table service is successfully listening at (http:\/\/[\d.:]+)/.exec(output)?.[1];
      if (blob && queue && table) {
        clearTimeout(timer);
        child.stdout?.removeAllListeners("data").resume();
        child.stderr?.removeAllListeners("data").resume();
        child.removeAllListeners("exit");
        resolve({ child, blob, queue, table });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}:\n${output}`));
    });
  });
}

export async function startBackends(storageAccounts: readonly string[]): Promise<LocalBackends> {
  const directory = mkdtempSync(join(tmpdir(), "twin-"));
  const certificate = generateCertificate(directory);
  const accountKeys = new Map(storageAccounts.map((a) => [a, randomBytes(32).toString("base64")]));
  const cosmos = createHttpsServer({ cert: certificate.cert, key: certificate.key, keepAlive: true } as Parameters<typeof createHttpsServer>[0]) as Server;
  const [azurite] = await Promise.all([
    startAzurite(directory, accountKeys),
    new Promise<void>((resolve, reject) => {
      cosmos.once("error", reject);
      cosmos.listen(0, "127.0.0.1", () => resolve());
    }),
  ]);
  const cosmosUrl = `https://127.0.0.1:${(cosmos.address() as AddressInfo).port}`;
  return {
    directory,
    certificate,
    blobUrl: azurite.blob,
    queueUrl: azurite.queue,
    tableUrl: azurite.table,
    accountKeys,
    cosmosUrl,
    async stop() {
      await new Promise<void>((resolve) => {
        cosmos.close(() => resolve());
        cosmos.closeAllConnections();
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
