/**
 * Every key under `prefix` in a KV namespace, following the list's cursor: one call lists at most
 * 1,000 keys, and a store other test files wrote to holds more.
 */
export async function kvKeys(kv: KVNamespace, prefix: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix, cursor });
    names.push(...page.keys.map((k) => k.name));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return names;
}
