/**
 * Where this repository keeps things: the components take these as arguments (they ship without the
 * repository), so every path the program hands them is decided here.
 */
import * as path from "node:path";

/** The project root (the folder with Pulumi.yaml). */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** Build output (gitignored). */
export const BUILD_ROOT = path.join(PROJECT_ROOT, ".build");

/** Where each service's bundle and package go: `.build/functions/<service>/`. */
export const FUNCTIONS_BUILD_ROOT = path.join(BUILD_ROOT, "functions");

/** Where the OneDeploy module the deployment provider loads is compiled. */
export const DEPLOYER_BUILD_DIRECTORY = path.join(BUILD_ROOT, "deployer");
