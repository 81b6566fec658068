/**
 * `@contoso/serverless-platform`: Pulumi components for a keyless serverless system on Azure.
 *
 * This is the package's only entry point (`exports["."]`): programs import every component and
 * helper from here, never from a file inside the package, so the files can move between releases.
 * Pulumi's component provider host analyses the classes reachable from this module to infer the
 * schema other languages use (see PulumiPlugin.yaml).
 */
export * from "./cosmos";
export * from "./entra-api-app";
export * from "./event-grid";
export * from "./key-vault";
export * from "./messaging";
export * from "./network";
export * from "./api-management";
export * from "./function-app";
export * from "./monitoring";
// Not re-exported by its folder's index: the program reports bundle failures with it.
export { formatCodeError } from "./function-app/bundle";
