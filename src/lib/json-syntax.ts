import { parse, printParseErrorCode, type ParseError } from "jsonc-parser";

/** Where a text stops being JSON: a 0-based character offset and the 1-based line and column of it. */
export interface JsonSyntaxError {
  reason: string;
  position: number;
  line: number;
  column: number;
}

/** jsonc-parser's error codes as words a person reads in an API error. */
const REASONS: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "malformed number",
  PropertyNameExpected: "expected a property name in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: "expected ':'",
  CommaExpected: "expected ','",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: "unexpected text after the JSON value",
  InvalidCommentToken: "comments are not JSON",
  UnexpectedEndOfComment: "comments are not JSON",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "malformed number",
  InvalidUnicode: "invalid \\u escape",
  InvalidEscapeCharacter: "invalid escape character",
  InvalidCharacter: "control character in a string",
};

/**
 * Where `text` first breaks the JSON grammar (RFC 8259), or null when JSON.parse accepts it. Only
 * called once JSON.parse has failed, so a well-formed request pays nothing: V8's own message names
 * a position for some mistakes and not for others, so jsonc-parser (strict: no comments, no
 * trailing commas) finds the offset.
 */
export function jsonSyntaxError(text: string): JsonSyntaxError | null {
  try {
    JSON.parse(text);
    return null;
  } catch {
    const errors: ParseError[] = [];
    parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors.sort((a, b) => a.offset - b.offset)[0];
    const position = first?.offset ?? text.length;
    const code = first ? printParseErrorCode(first.error) : "ValueExpected";
    return { reason: REASONS[code] ?? code, position, ...lineAndColumn(text, position) };
  }
}

/** The 1-based line and column of character `position` in `text` (lines end at \n). */
function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: position - lineStart + 1 };
}

/** "…: expected ',' at line 3, column 5 (position 27)": where the JSON broke, for an error message. */
export function describeJsonSyntaxError(error: JsonSyntaxError): string {
  return `${error.reason} at line ${error.line}, column ${error.column} (position ${error.position})`;
}
