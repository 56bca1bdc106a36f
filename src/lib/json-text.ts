/**
 * Working with JSON as text, so that a payload keeps the exact form its sender gave it.
 *
 * `JSON.parse` turns numbers into doubles (`9123456789654321123` → `9123456789654321000`,
 * `1e400` → `Infinity` → `null`, `-0` → `0`), re-orders integer-like keys and drops duplicate
 * ones, so nothing built from the parsed value can reproduce what was sent. V8's `JSON.parse`
 * source access and `JSON.rawJSON` only reach primitives, not objects or arrays. These helpers
 * therefore find where a value sits in the request text and slice it out, and splice stored text
 * back into a response. They take text that `JSON.parse` already accepted: they locate values,
 * they do not validate.
 */

/**
 * A string literal from its opening quote to after its closing one, escapes skipped. Written as
 * an unrolled loop so a long string is matched in runs, not one backtracking step per character.
 */
const STRING_LITERAL = /"[^"\\]*(?:\\.[^"\\]*)*"/y;
/** The next character that opens or closes something while skipping a value. */
const STRUCTURAL = /["{}[\]]/g;
/** Insignificant whitespace (RFC 8259 §2). */
const WHITESPACE = /[ \t\n\r]*/y;
/** A number, true, false or null: runs until a delimiter. */
const SCALAR = /[^,}\]\s]+/y;

/** A cursor over JSON text that `JSON.parse` accepted. */
class JsonTextCursor {
  readonly text: string;
  #at = 0;

  constructor(text: string) {
    this.text = text;
  }

  /** Moves past whitespace and returns the character there ("" at the end). */
  peek(): string {
    WHITESPACE.lastIndex = this.#at;
    WHITESPACE.exec(this.text);
    this.#at = WHITESPACE.lastIndex;
    return this.text.charAt(this.#at);
  }

  /** Consumes the expected structural character. */
  expect(char: string): void {
    if (this.peek() !== char) throw new SyntaxError(`Expected '${char}' at ${this.#at}: the text must be JSON that JSON.parse accepts`);
    this.#at++;
  }

  /** Consumes one value of any kind and returns its exact text. */
  skipValue(): string {
    const first = this.peek();
    const start = this.#at;
    if (first === '"') this.#skipString();
    else if (first === "{" || first === "[") this.#skipContainer();
    else {
      SCALAR.lastIndex = this.#at;
      if (!SCALAR.exec(this.text)) throw new SyntaxError(`Expected a value at ${this.#at}`);
      this.#at = SCALAR.lastIndex;
    }
    return this.text.slice(start, this.#at);
  }

  /** Consumes an object, calling `visit` for each member with the cursor on its value; `visit` must consume it. */
  members(visit: (key: string) => void): void {
    this.expect("{");
    if (this.peek() === "}") {
      this.#at++;
      return;
    }
    for (;;) {
      this.peek();
      const keyStart = this.#at;
      this.#skipString();
      const key = JSON.parse(this.text.slice(keyStart, this.#at)) as string;
      this.expect(":");
      visit(key);
      if (this.peek() === "}") break;
      this.expect(",");
    }
    this.#at++;
  }

  /** Consumes an array, calling `visit` for each item with the cursor on it; `visit` must consume it. */
  items(visit: (index: number) => void): void {
    this.expect("[");
    if (this.peek() === "]") {
      this.#at++;
      return;
    }
    for (let index = 0; ; index++) {
      visit(index);
      if (this.peek() === "]") break;
      this.expect(",");
    }
    this.#at++;
  }

  #skipString(): void {
    STRING_LITERAL.lastIndex = this.#at;
    if (!STRING_LITERAL.exec(this.text)) throw new SyntaxError(`Expected a string at ${this.#at}`);
    this.#at = STRING_LITERAL.lastIndex;
  }

  /** Skips a whole object or array by counting brackets, jumping over strings (which may hold brackets). */
  #skipContainer(): void {
    let depth = 0;
    STRUCTURAL.lastIndex = this.#at;
    for (let match = STRUCTURAL.exec(this.text); match; match = STRUCTURAL.exec(this.text)) {
      const char = match[0];
      if (char === '"') {
        this.#at = match.index;
        this.#skipString();
        STRUCTURAL.lastIndex = this.#at;
      } else if (char === "{" || char === "[") depth++;
      else if (--depth === 0) {
        this.#at = match.index + 1;
        return;
      }
    }
    throw new SyntaxError("Unterminated object or array");
  }
}

/** The text of member `key` of the object `cursor` is on (the last one when the key repeats, as JSON.parse keeps). */
function memberOf(cursor: JsonTextCursor, key: string): string | undefined {
  let found: string | undefined;
  cursor.members((name) => {
    const text = cursor.skipValue();
    if (name === key) found = text;
  });
  return found;
}

/**
 * The exact text of member `key` of the JSON object `json`, from the first to the last
 * character of its value (whitespace inside kept, whitespace around it not), or undefined when
 * the object has no such member. With a repeated key, the last one, which is what JSON.parse keeps.
 *
 * @param json text that JSON.parse accepted and whose value is an object
 * @throws SyntaxError when `json` is not such text
 */
export function memberText(json: string, key: string): string | undefined {
  return memberOf(new JsonTextCursor(json), key);
}

/**
 * For each item of the array member `arrayKey` of the JSON object `json`, the exact text of that
 * item's member `key` (undefined for an item without it, or one that is not an object), in order;
 * e.g. every `messages[i].payload` of a batch. Empty when `arrayKey` is missing or not an array.
 *
 * @param json text that JSON.parse accepted and whose value is an object
 * @throws SyntaxError when `json` is not such text
 */
export function memberTextOfEach(json: string, arrayKey: string, key: string): Array<string | undefined> {
  const cursor = new JsonTextCursor(json);
  let texts: Array<string | undefined> = [];
  cursor.members((name) => {
    if (name !== arrayKey || cursor.peek() !== "[") {
      cursor.skipValue();
      return;
    }
    texts = [];
    cursor.items(() => {
      if (cursor.peek() === "{") texts.push(memberOf(cursor, key));
      else {
        cursor.skipValue();
        texts.push(undefined);
      }
    });
  });
  return texts;
}

/**
 * JSON text of an object whose members are `fields` in their order, except that the members named
 * in `raw` carry the given JSON text verbatim (e.g. a stored payload) instead of a serialised value.
 * Members whose value is undefined are left out, as JSON.stringify does.
 *
 * @param raw member name → JSON text that JSON.parse accepts; it is not checked here
 */
export function objectText(fields: Record<string, unknown>, raw: Record<string, string>): string {
  const members: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const text = Object.hasOwn(raw, name) ? raw[name] : JSON.stringify(value);
    if (text !== undefined) members.push(`${JSON.stringify(name)}:${text}`);
  }
  return `{${members.join(",")}}`;
}

/** One token of JSON text: a string, a structural character, a run of whitespace, or a scalar. */
const TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"|[{}[\],:]|[ \t\n\r]+|[^ \t\n\r{}[\],:"]+/g;

/**
 * JSON text laid out as `JSON.stringify(value, null, indent)` would lay out its value, but from
 * the text itself, so every number, escape and key stays as written (for people reading a
 * payload: the local receiver, the CLI).
 *
 * @param json text that JSON.parse accepted; other text comes back with its whitespace changed
 */
export function indentJson(json: string, indent = 2): string {
  const tokens = (json.match(TOKEN) ?? []).filter((token) => !/^[ \t\n\r]/.test(token));
  let depth = 0;
  let text = "";
  const newline = () => `\n${" ".repeat(depth * indent)}`;
  for (const [i, token] of tokens.entries()) {
    const next = tokens[i + 1];
    if (token === "{" || token === "[") {
      const empty = next === (token === "{" ? "}" : "]");
      text += token;
      if (!empty) {
        depth++;
        text += newline();
      }
    } else if (token === "}" || token === "]") {
      const previous = tokens[i - 1];
      if (previous !== "{" && previous !== "[") {
        depth--;
        text += newline();
      }
      text += token;
    } else if (token === ",") text += `,${newline()}`;
    else if (token === ":") text += ": ";
    else text += token;
  }
  return text;
}
