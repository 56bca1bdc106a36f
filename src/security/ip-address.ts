/**
 * Classifies IP addresses the way an SSRF guard needs: is this address somewhere a webhook must
 * never go? The tables follow the IANA special-purpose registries (RFC 6890 and successors);
 * where a range is merely unusual rather than dangerous, it is still refused, because a webhook
 * has no business there. Addresses that carry an IPv4 address inside an IPv6 one (mapped,
 * compatible, translated, NAT64, 6to4, Teredo) are judged by the IPv4 address they lead to.
 */

interface Range {
  network: bigint;
  prefix: number;
  reason: string;
}

/** Where an IPv6 range carries an IPv4 address: the bit offset of its 32 bits, maybe inverted. */
type EmbeddedField = { shift: number; inverted?: boolean };

/**
 * A blocked IPv6 range. One with `embeds` leads to an IPv4 host instead: it is refused only when
 * an embedded IPv4 address is, and allowed when that host is public, as it would be directly.
 */
interface Range6 extends Range {
  embeds?: EmbeddedField[];
}

const IPV4_BLOCKED: Array<[cidr: string, reason: string]> = [
  ["0.0.0.0/8", "'this network' (unspecified)"],
  ["10.0.0.0/8", "private (RFC 1918)"],
  ["100.64.0.0/10", "carrier-grade NAT (shared address space)"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local (cloud metadata)"],
  ["172.16.0.0/12", "private (RFC 1918)"],
  ["192.0.0.0/24", "IETF protocol assignments"],
  ["192.0.2.0/24", "documentation (TEST-NET-1)"],
  ["192.88.99.0/24", "deprecated 6to4 relay anycast"],
  ["192.168.0.0/16", "private (RFC 1918)"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation (TEST-NET-2)"],
  ["203.0.113.0/24", "documentation (TEST-NET-3)"],
  ["224.0.0.0/4", "multicast"],
  ["255.255.255.255/32", "broadcast"],
  ["240.0.0.0/4", "reserved"],
  // Azure's platform endpoint (wireserver): a public-looking address that only means something
  // inside a cloud network, where it hands out metadata much like 169.254.169.254.
  ["168.63.129.16/32", "cloud metadata (Azure wireserver)"],
];

const LOW_32: EmbeddedField[] = [{ shift: 0 }];
/** First match wins, so exact addresses and narrow ranges come before the ranges holding them. */
const IPV6_BLOCKED: Array<[cidr: string, reason: string, embeds?: EmbeddedField[]]> = [
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["::ffff:0:0/96", "IPv4-mapped", LOW_32],
  ["::ffff:0:0:0/96", "IPv4-translated (SIIT)"],
  ["::/96", "IPv4-compatible (deprecated)"],
  ["64:ff9b::/96", "NAT64", LOW_32],
  ["64:ff9b:1::/48", "local-use NAT64"],
  ["100::/64", "discard-only"],
  // Teredo: the server's IPv4 address in bits 32–63, the client's, inverted, in the last 32 bits.
  ["2001::/32", "Teredo", [{ shift: 64 }, { shift: 0, inverted: true }]],
  ["2001::/23", "IETF protocol assignments"],
  ["2001:db8::/32", "documentation"],
  ["2002::/16", "6to4", [{ shift: 80 }]],
  ["3fff::/20", "documentation"],
  ["fc00::/7", "unique local (private)"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "site-local (deprecated)"],
  ["ff00::/8", "multicast"],
];

function parseCidr4(cidr: string, reason: string): Range {
  const [address, prefix] = cidr.split("/");
  return { network: BigInt(parseIPv4(address!)!), prefix: Number(prefix), reason };
}

function parseCidr6(cidr: string, reason: string, embeds?: EmbeddedField[]): Range6 {
  const [address, prefix] = cidr.split("/");
  return { network: parseIPv6(address!)!, prefix: Number(prefix), reason, embeds };
}

const ranges4 = IPV4_BLOCKED.map(([cidr, reason]) => parseCidr4(cidr, reason));
const ranges6 = IPV6_BLOCKED.map(([cidr, reason, embeds]) => parseCidr6(cidr, reason, embeds));
/** Only global unicast space (2000::/3) is routed on the internet today. */
const GLOBAL_UNICAST = parseCidr6("2000::/3", "");

function contains(range: Range, address: bigint, width: number): boolean {
  const shift = BigInt(width - range.prefix);
  return address >> shift === range.network >> shift;
}

/** Parses dotted-decimal IPv4 (`a.b.c.d`, each 0–255, no leading zeros) into a 32-bit number. */
function parseIPv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

/** Parses textual IPv6 (with `::` compression and an optional dotted IPv4 tail) into 128 bits. */
export function parseIPv6(text: string): bigint | null {
  let body = text.toLowerCase();
  const pieces: number[] = [];
  const tail = /(?:^|:)(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (tail) {
    const v4 = parseIPv4(tail[1]!);
    if (v4 === null) return null;
    body = body.slice(0, body.length - tail[1]!.length) + `${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const parse = (half: string) => (half === "" ? [] : half.split(":"));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  for (const group of [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest]) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return null;
    pieces.push(parseInt(group, 16));
  }
  return pieces.reduce((acc, piece) => (acc << 16n) | BigInt(piece), 0n);
}

function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join(".");
}

/** Why an IPv4 address (as a 32-bit number) is refused, or null when it is public. */
function blockedIPv4(value: number): string | null {
  return ranges4.find((range) => contains(range, BigInt(value), 32))?.reason ?? null;
}

/** Why an IPv6 address (as 128 bits) is refused, or null when it is public. */
function blockedIPv6(value: bigint): string | null {
  const range = ranges6.find((r) => contains(r, value, 128));
  if (!range) return contains(GLOBAL_UNICAST, value, 128) ? null : "reserved (outside global unicast 2000::/3)";
  if (!range.embeds) return range.reason;
  for (const { shift, inverted } of range.embeds) {
    const field = Number((value >> BigInt(shift)) & 0xffffffffn);
    const v4 = inverted ? ~field >>> 0 : field;
    const reason = blockedIPv4(v4);
    if (reason) return `${range.reason} address of ${formatIPv4(v4)}, ${reason}`;
  }
  return null;
}

/**
 * Why an IP address literal is refused as a webhook target, or null when it is a public address.
 * Accepts dotted-decimal IPv4 and IPv6 with or without brackets; returns undefined when `text`
 * is not an IP address at all (a hostname).
 */
export function blockedAddressReason(text: string): string | null | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== null) return blockedIPv4(v4);
  const bracketed = /^\[(.*)\]$/.exec(text);
  const v6 = parseIPv6(bracketed ? bracketed[1]! : text);
  if (v6 !== null) return blockedIPv6(v6);
  return undefined;
}
