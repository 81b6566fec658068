/**
 * Address ranges, for rules that judge what a firewall or an NSG admits: CIDRs (IPv4 and IPv6, or one
 * address) as integer ranges, and whether a set of them adds up to a whole address family (two
 * half-internet /1 ranges are the internet).
 */

/** An IPv4/IPv6 CIDR (or single address) as an inclusive range of integers, with its family. */
export function cidrRange(cidr: string): { family: 4 | 6; start: bigint; end: bigint } | undefined {
  const [addr = "", bitsText] = cidr.trim().split("/");
  let value = 0n;
  let family: 4 | 6;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(addr)) {
    family = 4;
    for (const part of addr.split(".")) {
      const n = Number(part);
      if (n > 255) return undefined;
      value = (value << 8n) | BigInt(n);
    }
  } else if (addr.includes(":")) {
    family = 6;
    const [head = "", tail] = addr.split("::");
    const h = head ? head.split(":") : [];
    const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
    if (groups.length !== 8 || groups.some((g: string) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
    for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
  } else return undefined;
  const width = family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return undefined;
  const host = (1n << BigInt(width - bits)) - 1n;
  const start = value & ~host & ((1n << BigInt(width)) - 1n);
  return { family, start, end: start | host };
}

/** Whether a set of allowed CIDRs covers a whole address family (e.g. 0.0.0.0/1 + 128.0.0.0/1). */
export function coversInternet(cidrs: readonly string[]): boolean {
  for (const family of [4, 6] as const) {
    const max = (1n << BigInt(family === 4 ? 32 : 128)) - 1n;
    const ranges = cidrs
      .map(cidrRange)
      .filter((r): r is NonNullable<ReturnType<typeof cidrRange>> => r !== undefined && r.family === family)
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let next = 0n;
    for (const r of ranges) {
      if (r.start > next) break;
      if (r.end + 1n > next) next = r.end + 1n;
    }
    if (ranges.length > 0 && next > max) return true;
  }
  return false;
}
