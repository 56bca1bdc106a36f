/**
 * The value of a command-line flag in `args` given under any of `names` (e.g. `["--config", "-c"]`)
 * as `--flag value` or `--flag=value`, the two forms wrangler takes; the last one given when there are
 * several; undefined when none is given (or only as the last argument, without a value).
 */
export function flagValue(args: readonly string[], names: readonly string[]): string | undefined {
  let value: string | undefined;
  args.forEach((arg, i) => {
    for (const name of names) {
      if (arg === name && i + 1 < args.length) value = args[i + 1];
      else if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
    }
  });
  return value;
}
