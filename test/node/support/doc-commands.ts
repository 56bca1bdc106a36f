import { codeBlocks } from "./docs";

/** A piece of one shell word: quoted text is literal (`'…'`) or open to `$` expansion (`"…"`, bare). */
export interface WordPart {
  text: string;
  expands: boolean;
}

/** One command of a doc's shell block, as the shell would split it. */
export interface DocCommand {
  words: WordPart[][];
  /** The comment on the command's last line (`# in another terminal`), if any. */
  comment: string;
  /** What the doc says the command prints (the `# → …` line below it), if it says. */
  sample?: string;
}

/** The marker a doc puts on the line above a shell block the walkthrough test must not run, with the reason. */
export const NOT_RUN = /<!-- not run by the walkthrough test: (.*?) -->\s*$/;

/**
 * The shell blocks of a Markdown text in order, each with its commands, or with the reason the doc
 * gives for not running it. A placeholder with spaces (`<message id>`) becomes one word
 * (`<message-id>`).
 */
export function shellBlocks(text: string): Array<{ commands: DocCommand[]; notRun?: string }> {
  return codeBlocks(text)
    .filter((block) => block.lang === "sh")
    .map((block) => {
      const notRun = NOT_RUN.exec(text.slice(0, block.offset).trimEnd() + "\n")?.[1];
      return { commands: commands(block.body.replace(/^ {2}/gm, "")), ...(notRun === undefined ? {} : { notRun }) };
    });
}

/**
 * Splits a shell script into commands as POSIX sh would: `\` + newline continues a line, quotes may
 * span lines, `#` at the start of a word starts a comment. A comment line `# → …` is the sample output
 * of the command before it; `#` lines that continue such a comment (`#   …`) are prose.
 */
export function commands(script: string): DocCommand[] {
  const source = script.replace(/<([\w ]+?) id>/g, (_, words: string) => `<${words.replace(/ /g, "-")}-id>`);
  const result: DocCommand[] = [];
  let words: WordPart[][] = [];
  let word: WordPart[] = [];
  let comment = "";
  const endWord = () => {
    if (word.length > 0) words.push(word);
    word = [];
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) result.push({ words, comment });
    else if (comment.startsWith("→ ") && result.length > 0) result[result.length - 1]!.sample = comment.slice(2).split(/ {3}/)[0]!.trim();
    words = [];
    comment = "";
  };
  const bare = (char: string) => {
    const last = word[word.length - 1];
    if (last?.expands) last.text += char;
    else word.push({ text: char, expands: true });
  };
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (char === "\\" && source[i + 1] === "\n") {
      i++;
      while (source[i + 1] === " ") i++;
    } else if (char === "\n") endCommand();
    else if (char === " ") endWord();
    else if (char === "#" && word.length === 0) {
      const end = source.indexOf("\n", i);
      comment = source.slice(i + 1, end === -1 ? undefined : end).trim();
      i = (end === -1 ? source.length : end) - 1;
    } else if (char === "'" || char === '"') {
      const close = source.indexOf(char, i + 1);
      if (close === -1) throw new Error(`an unclosed ${char} in:\n${script}`);
      word.push({ text: source.slice(i + 1, close), expands: char === '"' });
      i = close;
    } else bare(char);
  }
  endCommand();
  return result;
}
