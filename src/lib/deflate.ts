/**
 * deflate-raw (RFC 1951) through the runtime's CompressionStream: stored payloads and response
 * excerpts are compressed with it. Lossless, so the exact bytes come back.
 */

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

/** The deflate-raw compression of a text's UTF-8 bytes. */
export function deflateText(text: string): Promise<Uint8Array> {
  return pipe(new TextEncoder().encode(text), new CompressionStream("deflate-raw"));
}

/**
 * The text whose UTF-8 bytes `bytes` deflate-raw-compresses.
 *
 * @param bytes a BLOB as D1 returns it (an array of byte values) or as bytes
 * @throws TypeError when the bytes are not a valid deflate-raw stream
 */
export async function inflateText(bytes: ArrayLike<number> | Uint8Array): Promise<string> {
  const inflated = await pipe(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes), new DecompressionStream("deflate-raw"));
  return new TextDecoder().decode(inflated);
}
