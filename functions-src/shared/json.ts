/**
 * JSON strictness `JSON.parse` does not offer. RFC 8259 §4 says object names "SHOULD be unique" and
 * leaves duplicates to the implementation; `JSON.parse` silently keeps the last one, so
 * `{"customerId":"a","customerId":"b"}` means one thing to us and possibly another to a proxy, a
 * logger or a WAF in front of us (a parser-differential). We refuse such bodies instead.
 */

function escapePointerToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

interface Frame {
  /** The JSON Pointer of this container. */
  readonly path: string;
  /** Object: the names seen so far; undefined for an array. */
  readonly names?: Set<string>;
  /** Object: the next string is a name. */
  expectName: boolean;
  /** Object: the current member's name; array: the current element's index. */
  current: string | number;
}

/**
 * The JSON Pointer of the first duplicated object member name in `text`, or undefined. `text` must be
 * valid JSON (call after `JSON.parse` succeeded): the scan tracks only strings and brackets, with an
 * explicit stack (no recursion, so deep nesting cannot overflow it).
 */
export function duplicateNamePointer(text: string): string | undefined {
  const stack: Frame[] = [];
  const childPath = (): string => {
    const top = stack.at(-1);
    return top === undefined ? "" : `${top.path}/${escapePointerToken(String(top.current))}`;
  };
  let i = 0;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      let end = i + 1;
      while (text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c /* \ */ ? 2 : 1;
      const top = stack.at(-1);
      if (top?.names && top.expectName) {
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.names.has(name)) return `${top.path}/${escapePointerToken(name)}`;
        top.names.add(name);
        top.current = name;
        top.expectName = false;
      }
      i = end + 1;
      continue;
    }
    if (ch === 0x7b /* { */) stack.push({ path: childPath(), names: new Set(), expectName: true, current: "" });
    else if (ch === 0x5b /* [ */) stack.push({ path: childPath(), expectName: false, current: 0 });
    else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) stack.pop();
    else if (ch === 0x2c /* , */) {
      const top = stack.at(-1);
      if (top?.names) top.expectName = true;
      else if (top) top.current = Number(top.current) + 1;
    }
    i += 1;
  }
  return undefined;
}
