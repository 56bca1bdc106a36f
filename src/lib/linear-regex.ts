import { RE2JS } from "re2js";

/**
 * Regular expressions of JSON Schemas (`pattern`, `patternProperties`, `format: "regex"` aside)
 * run on re2js, a pure-JavaScript port of RE2 (MIT, ~65 KB gzipped, no `eval` or `new Function`,
 * so it runs in workerd): its automata match in time linear in the input, whatever the pattern,
 * where JavaScript's backtracking RegExp takes exponential time on `^(a+)+$` and friends.
 *
 * JSON Schema patterns are ECMA-262 regular expressions with the `u` flag, unanchored. RE2 reads
 * a slightly different dialect, so a pattern is first rewritten where the two disagree: `.`
 * excludes every ECMA line terminator (RE2's only `\n`), `\s` / `\S` are ECMA's white space (RE2's
 * is ASCII only), `[` inside a class is a literal (RE2 would read `[:alpha:]`), `[]` and `[^]`
 * match nothing and anything; then re2js translates `\uXXXX`, `\u{…}`, `\cX` and named groups.
 * What RE2 cannot run at all (backreferences, lookahead, lookbehind) is refused.
 */

/** A pattern this relay cannot run in linear time, or that is not a regular expression at all. */
export class UnsupportedPattern extends Error {}

/**
 * A compiled pattern: `test` says whether it matches anywhere in `input`, in time linear in its
 * length. `size` is its compiled program's size (instructions, at least 1): the work per character
 * grows with it (a lazy DFA whose states thrash, or the NFA, steps up to `size` threads per
 * character: "a.{999}c" took ~13 s on 250 KB), so callers charge matchSteps(size, length).
 */
export interface LinearRegex {
  test(input: string): boolean;
  readonly size: number;
}

/**
 * Budget steps (src/lib/schema-validation.ts: a step is ~one schema applied to one value, ~130 ns on
 * the bench machine) to match a regex of program size `size` on `length` characters. Measured with
 * re2js in V8 (`node bench/lib/validation.ts`): ~100–230 ns per character for a small program (the
 * anchored `^[a-z]+$`, `^(a|b)+$`), plus up to ~80 ns per character per instruction when the lazy
 * DFA thrashes (`a[ab]{20}c` on a/b text): one step per character plus one per eight instructions
 * (more would refuse realistic bounded repeats such as `^[a-z0-9-]{1,36}$` on every item).
 */
export function matchSteps(size: number, length: number): number {
  return 1 + Math.ceil(length * (1 + size / 8));
}

/**
 * Most compiled program size (instructions, summed over every `pattern` and `patternProperties`
 * key) of one schema: compiling costs ~3–40 µs per instruction (`a{1000}`, 1,002 instructions,
 * took ~30 ms), paid once per isolate on first use, so the sum is capped where the type is created.
 * A realistic pattern compiles to under 100 instructions.
 */
export const MAX_SCHEMA_PATTERN_PROGRAM_SIZE = 2000;

/** ECMA-262 WhiteSpace and LineTerminator, what `\s` means in JavaScript, written for a character class. */
const ECMA_SPACE = "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff";
/** What `.` matches in JavaScript without the `s` flag: anything but a line terminator. */
const ECMA_DOT = "[^\\n\\r\\u2028\\u2029]";

/** The code point of `\\uD8xx\\uDCxx` (a surrogate pair written as two escapes) at `at` in `source`, or null. */
function surrogatePairEscape(source: string, at: number): number | null {
  const match = /^\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})/i.exec(source.slice(at, at + 12));
  if (!match) return null;
  return 0x10000 + ((parseInt(match[1]!, 16) - 0xd800) << 10) + (parseInt(match[2]!, 16) - 0xdc00);
}

/**
 * `source` (ECMA-262, `u` flag) rewritten into the same language in RE2's dialect.
 * @throws UnsupportedPattern for a backreference or a lookaround, naming it
 */
function toRe2Dialect(source: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    const next = source[i + 1];
    if (ch === "\\") {
      const pair = surrogatePairEscape(source, i);
      if (pair !== null) {
        // RE2 takes \uD83D\uDE00 as two lone surrogates; with the `u` flag ECMA-262 reads one code point.
        out += `\\x{${pair.toString(16)}}`;
        i += 11;
        continue;
      }
      if (next !== undefined && next >= "1" && next <= "9") throw new UnsupportedPattern(`uses a backreference (\\${next}), which cannot be matched in linear time`);
      if (next === "k") throw new UnsupportedPattern("uses a named backreference (\\k<…>), which cannot be matched in linear time");
      if (next === "s") out += inClass ? ECMA_SPACE : `[${ECMA_SPACE}]`;
      else if (next === "S" && inClass) throw new UnsupportedPattern("uses \\S inside a character class, which this relay cannot translate; write the characters out");
      else if (next === "S") out += `[^${ECMA_SPACE}]`;
      else out += ch + (next ?? "");
      i += 1;
    } else if (inClass) {
      if (ch === "]") inClass = false;
      out += ch === "[" ? "\\[" : ch;
    } else if (ch === "[") {
      if (source.startsWith("[]", i)) {
        out += "[^\\x{0}-\\x{10FFFF}]";
        i += 1;
      } else if (source.startsWith("[^]", i)) {
        out += "(?s:.)";
        i += 2;
      } else {
        inClass = true;
        out += ch;
        if (next === "^") {
          out += next;
          i += 1;
        }
      }
    } else if (ch === "(" && next === "?") {
      const kind = source.slice(i + 2, i + 4);
      if (kind.startsWith("=") || kind.startsWith("!")) throw new UnsupportedPattern("uses a lookahead ((?=…) or (?!…)), which cannot be matched in linear time");
      if (kind === "<=" || kind === "<!") throw new UnsupportedPattern("uses a lookbehind ((?<=…) or (?<!…)), which cannot be matched in linear time");
      out += ch;
    } else {
      out += ch === "." ? ECMA_DOT : ch;
    }
  }
  return out;
}

/**
 * Compiles a JSON Schema pattern for linear-time matching. Compiling is linear in the pattern's
 * length too; compile once per schema, not per payload.
 * @throws UnsupportedPattern when `source` is not an ECMA-262 regular expression (with the `u` flag)
 *   or uses what RE2 cannot run (backreferences, lookaround, a `\p{…}` name RE2 does not know), with why
 */
export function compileLinearRegex(source: string): LinearRegex {
  try {
    // Only parsed, never run: a syntax check against the dialect JSON Schema names.
    new RegExp(source, "u");
  } catch (error) {
    throw new UnsupportedPattern(`is not a regular expression: ${(error as Error).message}`);
  }
  try {
    const compiled = RE2JS.compile(RE2JS.translateRegExp(toRe2Dialect(source)));
    return { test: (input) => compiled.test(input), size: Math.max(1, compiled.programSize()) };
  } catch (error) {
    if (error instanceof UnsupportedPattern) throw error;
    throw new UnsupportedPattern(`cannot be matched in linear time: ${(error as Error).message}`);
  }
}
