import { RE2JS } from "re2js";

/**
 * The `format`s event-type schemas assert, each checked in time linear in the string: small
 * procedural checks, or RE2 expressions (re2js, linear whatever the input). JavaScript's
 * backtracking RegExp never runs on a payload here: the validator's own format regexes took
 * seconds on a crafted 30-character `url`. Formats not listed are annotations, as the
 * specification allows; `idn-email` and `idn-hostname` among them.
 */

/** A lazily compiled, anchored RE2 expression (compiled on first use: most Workers never need most formats). */
function re2(source: string): (input: string) => boolean {
  let compiled: RE2JS | undefined;
  return (input) => (compiled ??= RE2JS.compile(source)).testExact(input);
}

const HEX = "[0-9A-Fa-f]";
const PCT = `%${HEX}{2}`;
const UNRESERVED = "A-Za-z0-9\\-._~";
const SUB_DELIMS = "!$&'()*+,;=";
/** What RFC 3987 adds to URI characters: ucschar (and iprivate, allowed in queries), as a class body. */
const UCSCHAR = "\\x{A0}-\\x{D7FF}\\x{E000}-\\x{FFFD}\\x{10000}-\\x{10FFFD}";

/** RFC 3986 URI-reference grammar as one RE2 expression; `extra` widens the character classes (IRI). */
function uriGrammar(requireScheme: boolean, extra: string): string {
  const pchar = `(?:[${UNRESERVED}${SUB_DELIMS}:@${extra}]|${PCT})`;
  const ipLiteral = `\\[(?:[0-9A-Fa-f:.]+|[Vv]${HEX}+\\.[${UNRESERVED}${SUB_DELIMS}:]+)\\]`;
  const regName = `(?:[${UNRESERVED}${SUB_DELIMS}${extra}]|${PCT})*`;
  const userinfo = `(?:(?:[${UNRESERVED}${SUB_DELIMS}:${extra}]|${PCT})*@)?`;
  const authority = `${userinfo}(?:${ipLiteral}|${regName})(?::[0-9]*)?`;
  const segments = `(?:/${pchar}*)*`;
  const scheme = "[A-Za-z][A-Za-z0-9+\\-.]*:";
  // A relative reference's first segment must not hold a colon (it would read as a scheme).
  const noColon = `(?:[${UNRESERVED}${SUB_DELIMS}@${extra}]|${PCT})`;
  const absolute = `${scheme}(?://${authority}${segments}|/(?:${pchar}+${segments})?|${pchar}+${segments}|)`;
  const relative = `(?://${authority}${segments}|/(?:${pchar}+${segments})?|${noColon}+${segments}|)`;
  const tail = `(?:\\?(?:${pchar}|[/?])*)?(?:#(?:${pchar}|[/?])*)?`;
  return `${requireScheme ? absolute : `(?:${absolute}|${relative})`}${tail}`;
}

const uri = re2(uriGrammar(true, ""));
const uriReference = re2(uriGrammar(false, ""));
const iri = re2(uriGrammar(true, UCSCHAR));
const iriReference = re2(uriGrammar(false, UCSCHAR));

const LITERAL = `(?:[^\\x00-\\x20\\x7f"'%<>\\\\^\`{|}]|${PCT})`;
const VARNAME = `(?:[A-Za-z0-9_]|${PCT})(?:\\.?(?:[A-Za-z0-9_]|${PCT}))*`;
const VARSPEC = `${VARNAME}(?::[1-9][0-9]{0,3}|\\*)?`;
/** RFC 6570 (levels 1–4). */
const uriTemplate = re2(`(?:${LITERAL}|\\{[+#./;?&=,!@|]?${VARSPEC}(?:,${VARSPEC})*\\})*`);

const uuid = re2(`${HEX}{8}-${HEX}{4}-${HEX}{4}-${HEX}{4}-${HEX}{12}`);
const jsonPointer = re2("(?:/(?:[^~/]|~[01])*)*");
const jsonPointerUriFragment = re2(`#(?:/(?:[A-Za-z0-9_\\-.!$&'()*+,;:=@]|${PCT}|~[01])*)*`);
/** draft-bhutton-relative-json-pointer-00, index adjustment included. */
const relativeJsonPointer = re2("(?:0|[1-9][0-9]*)(?:[+-](?:0|[1-9][0-9]*))?(?:#|(?:/(?:[^~/]|~[01])*)*)");
/** RFC 3339 appendix A durations: weeks alone, or date parts and/or time parts, each unit at most once, in order. */
const DUR_TIME = "T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S)";
const DUR_DATE = "(?:[0-9]+Y(?:[0-9]+M(?:[0-9]+D)?)?|[0-9]+M(?:[0-9]+D)?|[0-9]+D)";
const duration = re2(`P(?:${DUR_DATE}(?:${DUR_TIME})?|${DUR_TIME}|[0-9]+W)`);
/** The local part of an address: a dot-atom or a quoted string (RFC 5321 4.1.2). */
const emailLocal = re2(`(?:[A-Za-z0-9!#$%&'*+/=?^_\`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_\`{|}~-]+)*|"(?:[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]|\\\\[\\x20-\\x7e])*")`);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
const isAsciiAlnum = (c: string) => (c >= "0" && c <= "9") || (c >= "A" && c <= "Z") || (c >= "a" && c <= "z");
const isHexDigit = (c: string) => (c >= "0" && c <= "9") || (c >= "A" && c <= "F") || (c >= "a" && c <= "f");
const digitsOrEmpty = (s: string) => [...s].every((c) => c >= "0" && c <= "9");
const digits = (s: string) => s.length > 0 && digitsOrEmpty(s);

/** RFC 3339 full-date: `2026-12-07`, a real day. */
function date(s: string): boolean {
  if (s.length !== 10 || s[4] !== "-" || s[7] !== "-") return false;
  const [y, m, d] = [s.slice(0, 4), s.slice(5, 7), s.slice(8, 10)];
  if (!digits(y) || !digits(m) || !digits(d)) return false;
  const month = Number(m);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= (month === 2 && isLeapYear(Number(y)) ? 29 : DAYS_IN_MONTH[month - 1]!);
}

/** RFC 3339 full-time: `12:30:00`, optional fraction, then `Z` or an offset; a leap second only at 23:59 UTC. */
function time(s: string): boolean {
  if (s.length < 9 || s[2] !== ":" || s[5] !== ":") return false;
  const [h, m, sec] = [s.slice(0, 2), s.slice(3, 5), s.slice(6, 8)];
  if (!digits(h) || !digits(m) || !digits(sec)) return false;
  let rest = s.slice(8);
  if (rest.startsWith(".")) {
    let end = 1;
    while (end < rest.length && rest[end]! >= "0" && rest[end]! <= "9") end += 1;
    if (end === 1) return false;
    rest = rest.slice(end);
  }
  let offset = 0;
  if (rest !== "Z" && rest !== "z") {
    if (rest.length !== 6 || (rest[0] !== "+" && rest[0] !== "-") || rest[3] !== ":") return false;
    const [oh, om] = [rest.slice(1, 3), rest.slice(4, 6)];
    if (!digits(oh) || !digits(om) || Number(oh) > 23 || Number(om) > 59) return false;
    offset = (rest[0] === "+" ? 1 : -1) * (Number(oh) * 60 + Number(om));
  }
  const [hour, minute, second] = [Number(h), Number(m), Number(sec)];
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (second === 60) {
    const utc = (((hour * 60 + minute - offset) % 1440) + 1440) % 1440;
    return utc === 23 * 60 + 59;
  }
  return true;
}

/** RFC 3339 date-time: a date, `T` (or `t`, or a space as RFC 3339 allows), a time. */
function dateTime(s: string): boolean {
  const separator = s[10];
  return (separator === "T" || separator === "t" || separator === " ") && date(s.slice(0, 10)) && time(s.slice(11));
}

/** RFC 1123 host name: at most 253 characters, labels of 1–63 letters, digits and inner hyphens. */
function hostname(s: string): boolean {
  const name = s.endsWith(".") ? s.slice(0, -1) : s;
  if (name.length === 0 || name.length > 253) return false;
  return name.split(".").every((label) => {
    if (label.length === 0 || label.length > 63 || label.startsWith("-") || label.endsWith("-")) return false;
    return [...label].every((c) => isAsciiAlnum(c) || c === "-");
  });
}

/** Dotted-quad IPv4, no leading zeros (`01.2.3.4` is ambiguous: octal to some parsers). */
function ipv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => digits(p) && p.length <= 3 && (p === "0" || !p.startsWith("0")) && Number(p) <= 255);
}

/** RFC 4291 text form: eight groups of 1–4 hex digits, one `::` for a run of zeros, an IPv4 tail allowed. */
function ipv6(s: string): boolean {
  if (s.length > 45) return false;
  const halves = s.split("::");
  if (halves.length > 2) return false;
  const groupsOf = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const all = [...head, ...tail];
  let count = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes(".")) {
    if (!ipv4(last)) return false;
    all.pop();
    count += 1;
  }
  if (!all.every((g) => g.length >= 1 && g.length <= 4 && [...g].every(isHexDigit))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** An address: a local part, `@`, then a host name or an address literal (`[192.0.2.1]`, `[IPv6:…]`). */
function email(s: string): boolean {
  const at = s.lastIndexOf("@");
  if (at <= 0) return false;
  const domain = s.slice(at + 1);
  if (!emailLocal(s.slice(0, at))) return false;
  if (domain.startsWith("[") && domain.endsWith("]")) {
    const literal = domain.slice(1, -1);
    return literal.startsWith("IPv6:") ? ipv6(literal.slice(5)) : ipv4(literal);
  }
  return hostname(domain);
}

/** An absolute http, https or ftp URI whose host is a host name or an IP address. */
function url(s: string): boolean {
  const scheme = s.slice(0, 8).toLowerCase();
  if (!(scheme.startsWith("http://") || scheme.startsWith("https://") || scheme.startsWith("ftp://")) || !uri(s)) return false;
  let authority = s.slice(s.indexOf("//") + 2);
  for (const end of ["/", "?", "#"]) if (authority.includes(end)) authority = authority.slice(0, authority.indexOf(end));
  let host = authority.slice(authority.lastIndexOf("@") + 1);
  const colon = host.lastIndexOf(":");
  if (colon >= 0 && !host.endsWith("]") && digitsOrEmpty(host.slice(colon + 1))) host = host.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) return ipv6(host.slice(1, -1));
  return ipv4(host) || hostname(host);
}

/** An ECMA-262 regular expression (with the `u` flag): it is only parsed, never run. */
function regex(s: string): boolean {
  try {
    new RegExp(s, "u");
    return true;
  } catch {
    return false;
  }
}

/** Each asserted format, by name: a check linear in the string's length. */
/**
 * Characters checked per budget step (a step: ~one schema applied to one value, ~100–130 ns on the
 * bench machine), by format, from `node bench/lib/validation.ts` on 256 KiB strings: most formats
 * take ≤ 25 ns per character (30 uri-templates on one valid string: ~167 ms), `url` ~95 ns and
 * `regex` (V8 parsing a deeply nested expression) ~170 ns.
 */
const CHARACTERS_PER_STEP: Readonly<Record<string, number>> = { url: 1, regex: 0.5 };
const DEFAULT_CHARACTERS_PER_STEP = 4;

/** Budget steps to check `format` on `length` characters (src/lib/schema-keywords.ts charges them before checking). */
export function formatSteps(format: string, length: number): number {
  return 1 + Math.ceil(length / (CHARACTERS_PER_STEP[format] ?? DEFAULT_CHARACTERS_PER_STEP));
}

export const FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  date,
  time,
  "date-time": dateTime,
  duration,
  email,
  hostname,
  ipv4,
  ipv6,
  uri,
  "uri-reference": uriReference,
  iri,
  "iri-reference": iriReference,
  "uri-template": uriTemplate,
  url,
  uuid,
  regex,
  "json-pointer": jsonPointer,
  "json-pointer-uri-fragment": jsonPointerUriFragment,
  "relative-json-pointer": relativeJsonPointer,
};
