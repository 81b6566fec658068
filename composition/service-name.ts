/**
 * The rule a service's name follows (the manifest's `name`, `npm run new-service -- <name>`): it becomes
 * a folder, a Function App's name part, a gateway path and a database name. A module of its own, with
 * nothing but zod: the scaffold checks a name without loading the components and Pulumi
 * (test/scripts/help.test.ts).
 */
import { z } from "zod";

export const serviceName = z.string().regex(/^[a-z][a-z0-9]{1,15}$/, { error: "expected 2-16 lowercase letters or digits, starting with a letter" });
