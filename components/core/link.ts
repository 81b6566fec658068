/**
 * A link: everything a consumer needs for one declared use of a resource, in one object — the
 * identity-based connection or plain settings that tell its code where the resource is, and the
 * grant, scoped to exactly what the use touches, that lets its identity in. Like SST v3's `link`
 * (a resource becomes settings plus permissions of the function that uses it), but each grant is
 * the least-privileged role at the narrowest scope instead of `*` actions.
 *
 * A resource component builds its links (`messaging.link(...)`, `cosmos.link(...)`,
 * `topic.publishLink(...)`, `vault.secretLink(...)`); a consumer (`FunctionApp`'s `links`) writes
 * the settings and calls `grant` with its identity once it exists.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Grantee } from "./roles";

/** Identity-based connection properties by connection name: `{ QUEUES: { queueServiceUri } }`. */
export type LinkConnections = Readonly<Record<string, Readonly<Record<string, pulumi.Input<string>>>>>;

export interface Link {
  /** What the use is, for messages: `queue "orders" (send)`. */
  readonly description: string;
  /**
   * Identity-based connections the consumer writes as `<NAME>__<property>` plus its identity's
   * `__credential`/`__clientId`. @default none
   */
  readonly connections?: LinkConnections;
  /** Plain app settings (endpoints, Key Vault references, names). @default none */
  readonly settings?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Creates the use's grants for `grantee` and returns them; the consumer calls it once, with its
   * identity. TypeScript only: a method, so the package schema (which has no functions) publishes a
   * link as its settings and connections, and a link from another language grants nothing (give its
   * roles with the resource's `roleAssignments`). @default no grant (a settings-only link)
   */
  grant?(grantee: Grantee): readonly pulumi.Resource[];
}

/** A link that only delivers settings (a configured URL, a database name): nothing to grant. */
export function settingsLink(description: string, settings: Readonly<Record<string, pulumi.Input<string>>>): Link {
  return { description, settings };
}

/**
 * The settings and connections of `links`, merged in order, refusing a setting two links set (or a
 * connection property two links set to different values would be ambiguous: the same property
 * name from two links is refused too, unless both come from the same connection object).
 */
export function mergeLinks(owner: string, links: readonly Link[]): {
  readonly connections: Record<string, Record<string, pulumi.Input<string>>>;
  readonly settings: Record<string, pulumi.Input<string>>;
} {
  const connections: Record<string, Record<string, pulumi.Input<string>>> = {};
  const settings: Record<string, pulumi.Input<string>> = {};
  const settingOwner = new Map<string, string>();
  const propertyOwner = new Map<string, { readonly link: string; readonly value: pulumi.Input<string> }>();
  for (const link of links) {
    for (const [connection, props] of Object.entries(link.connections ?? {})) {
      const target = (connections[connection] ??= {});
      for (const [prop, value] of Object.entries(props)) {
        const key = `${connection}__${prop}`;
        const previous = propertyOwner.get(key);
        if (previous && previous.value !== value) {
          throw new Error(`${owner}: links ${previous.link} and ${link.description} both set connection ${key}; give them different connection names`);
        }
        propertyOwner.set(key, { link: link.description, value });
        target[prop] = value;
      }
    }
    for (const [key, value] of Object.entries(link.settings ?? {})) {
      const previous = settingOwner.get(key.toLowerCase());
      if (previous !== undefined) throw new Error(`${owner}: links ${previous} and ${link.description} both set the app setting ${key}`);
      settingOwner.set(key.toLowerCase(), link.description);
      settings[key] = value;
    }
  }
  return { connections, settings };
}
