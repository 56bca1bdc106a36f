/**
 * Classifies IP addresses the way an SSRF guard needs: is this address somewhere a webhook must
 * never go? The tables follow the IANA special-purpose registries (RFC 6890 and successors);
 * where a range is merely unusual rather than dangerous, it is still refused, because a webhook
 * has no business there. Addresses that carry an IPv4 address inside an IPv6 one (mapped,
 * compatible, translated, NAT64, 6to4, Teredo) are judged by that IPv4 address first.
 */

interface Range {
  network: bigint;
  prefix: number;
  reason: string;
}

/** Reads the 32 bits of an IPv4 address from where an IPv6 address carries it. */
type EmbeddedIPv4 = (address: bigint) => number;

/**
 * A blocked IPv6 range, maybe one whose addresses carry an IPv4 address (`embeds`). Those are
 * judged by that IPv4 address first. Where the runtime or the network translates them to the
 * IPv4 host (`followsEmbedded`), they are allowed when the host is public, as it would be
 * directly; the others stay refused whatever they carry.
 */
interface Range6 extends Range {
  embeds?: EmbeddedIPv4[];
  followsEmbedded?: boolean;
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

/** The 32 bits at `shift` from the low end, maybe inverted (Teredo obfuscates its client address). */
function bitsAt(shift: number, inverted = false): EmbeddedIPv4 {
  return (address) => {
    const field = Number((address >> BigInt(shift)) & 0xffffffffn);
    return inverted ? ~field >>> 0 : field;
  };
}

/**
 * Where an RFC 6052 IPv4-embedded address keeps the IPv4 address after a prefix of
 * `prefixLength` bits: right after the prefix, skipping bits 64–71 (the "u" octet, always zero).
 */
function afterNat64Prefix(prefixLength: 48 | 56 | 64 | 96): EmbeddedIPv4 {
  if (prefixLength === 96) return bitsAt(0);
  return (address) => {
    const withoutU = ((address >> 64n) << 56n) | (address & ((1n << 56n) - 1n));
    return Number((withoutU >> BigInt(120 - prefixLength - 32)) & 0xffffffffn);
  };
}

const LOW_32 = [bitsAt(0)];
/** First match wins, so exact addresses and narrow ranges come before the ranges holding them. */
const IPV6_BLOCKED: Array<[cidr: string, reason: string, embedded?: Pick<Range6, "embeds" | "followsEmbedded">]> = [
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["::ffff:0:0/96", "IPv4-mapped", { embeds: LOW_32, followsEmbedded: true }],
  ["::ffff:0:0:0/96", "IPv4-translated (SIIT)", { embeds: LOW_32 }],
  ["::/96", "IPv4-compatible (deprecated)", { embeds: LOW_32 }],
  ["64:ff9b::/96", "NAT64", { embeds: LOW_32, followsEmbedded: true }],
  // A local-use prefix may be any RFC 6052 length inside the /48, so every place is read.
  ["64:ff9b:1::/48", "local-use NAT64", { embeds: ([48, 56, 64, 96] as const).map(afterNat64Prefix) }],
  ["100::/64", "discard-only"],
  // Teredo: the server's IPv4 address in bits 32–63, the client's, inverted, in the last 32 bits.
  ["2001::/32", "Teredo", { embeds: [bitsAt(64), bitsAt(0, true)], followsEmbedded: true }],
  ["2001::/23", "IETF protocol assignments"],
  ["2001:db8::/32", "documentation"],
  ["2002::/16", "6to4", { embeds: [bitsAt(80)], followsEmbedded: true }],
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

function parseCidr6(cidr: string, reason: string, embedded?: Pick<Range6, "embeds" | "followsEmbedded">): Range6 {
  const [address, prefix] = cidr.split("/");
  return { network: parseIPv6(address!)!, prefix: Number(prefix), reason, ...embedded };
}

const ranges4 = IPV4_BLOCKED.map(([cidr, reason]) => parseCidr4(cidr, reason));
const ranges6 = IPV6_BLOCKED.map(([cidr, reason, embedded]) => parseCidr6(cidr, reason, embedded));
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

function rangeOf(value: bigint): Range6 | undefined {
  return ranges6.find((r) => contains(r, value, 128));
}

/** Why an IPv6 address (as 128 bits) is refused, or null when it is public. */
function blockedIPv6(value: bigint): string | null {
  const range = rangeOf(value);
  if (!range) return contains(GLOBAL_UNICAST, value, 128) ? null : "reserved (outside global unicast 2000::/3)";
  for (const read of range.embeds ?? []) {
    const v4 = read(value);
    const reason = blockedIPv4(v4);
    if (reason) return `${range.reason} address of ${formatIPv4(v4)}, ${reason}`;
  }
  return range.followsEmbedded ? null : range.reason;
}

/** Parses an IP literal: dotted-decimal IPv4, or IPv6 with or without brackets. */
function parseAddress(text: string): { v4: number } | { v6: bigint } | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return { v4 };
  const bracketed = /^\[(.*)\]$/.exec(text);
  const v6 = parseIPv6(bracketed ? bracketed[1]! : text);
  return v6 === null ? null : { v6 };
}

/**
 * The IPv4 addresses an IP literal stands for, dotted: an IPv4 address itself, or every IPv4
 * address an IPv6 form carries (mapped, compatible, SIIT, NAT64 with the well-known or a
 * local-use prefix, 6to4, Teredo server and client). Empty for other IPv6 addresses and for
 * hostnames. Rules that hold in every mode (cloud metadata) check each of them.
 */
export function ipv4AddressesOf(text: string): string[] {
  const address = parseAddress(text);
  if (!address) return [];
  if ("v4" in address) return [formatIPv4(address.v4)];
  return (rangeOf(address.v6)?.embeds ?? []).map((read) => formatIPv4(read(address.v6)));
}

/**
 * Why an IP address literal is refused as a webhook target, or null when it is a public address.
 * Accepts dotted-decimal IPv4 and IPv6 with or without brackets; returns undefined when `text`
 * is not an IP address at all (a hostname).
 */
export function blockedAddressReason(text: string): string | null | undefined {
  const address = parseAddress(text);
  if (!address) return undefined;
  return "v4" in address ? blockedIPv4(address.v4) : blockedIPv6(address.v6);
}
