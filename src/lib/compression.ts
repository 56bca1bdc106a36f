import { brotliCompressSync, brotliDecompressSync, constants } from "node:zlib";

/**
 * Brotli (RFC 7932) through the runtime's `node:zlib` (the Worker runs with `nodejs_compat`): stored
 * payloads and response excerpts are compressed with it. Lossless, so the exact bytes come back, and
 * self-describing, so whatever quality wrote a stream, one decoder reads it.
 *
 * Why Brotli at quality 10 rather than the deflate-raw of CompressionStream: on the bench's 4 KiB
 * document-extraction payloads it stores ~915 bytes against deflate's ~1,100 (measured in workerd,
 * 50 payloads), ~17 % less D1 storage per message for ~2 ms of CPU per 4 KiB at enqueue ($0.04 per
 * million at Workers' CPU price, against ~$0.14 per million messages and month of D1 storage saved;
 * SCALING.md). Quality 11 saves 3 % more for nearly three times the CPU.
 *
 * Why a fast pass first: quality 10 costs at least ~0.35 ms whatever the input (0.35 ms for a
 * 40-byte JSON, 0.6 ms for 4 KiB of repeated text, measured in workerd), and it buys only what the
 * fast pass left: ~19 % of it on the extraction payloads (1,136 → 916 bytes). A text that quality 3
 * already brings down to SLOW_PASS_FROM_BYTES or less keeps that form: quality 10 could save a few
 * tens of bytes at most, and on such inputs it is often no smaller at all. The fast pass costs
 * ~0.15 ms on a 4 KiB extraction payload, ~5 % of the quality-10 pass that follows it.
 * This was the batch route's largest cost per message (bench `--phase ingest --profile`, BENCHMARKS.md).
 */
const FAST_QUALITY = 3;
const SLOW_QUALITY = 10;
/** A fast pass's output larger than this (bytes) is worth the slow pass. */
const SLOW_PASS_FROM_BYTES = 128;

// Read once: looking them up on `constants` per call showed in the batch route's profile.
const { BROTLI_PARAM_QUALITY, BROTLI_PARAM_MODE, BROTLI_MODE_TEXT, BROTLI_PARAM_SIZE_HINT } = constants;

function brotli(bytes: Uint8Array, quality: number): Uint8Array {
  return brotliCompressSync(bytes, {
    params: { [BROTLI_PARAM_QUALITY]: quality, [BROTLI_PARAM_MODE]: BROTLI_MODE_TEXT, [BROTLI_PARAM_SIZE_HINT]: bytes.byteLength },
  });
}

/**
 * The Brotli compression of a text's UTF-8 bytes: a fast pass, then quality 10 when the fast pass
 * left more than SLOW_PASS_FROM_BYTES bytes, whichever of the two is smaller.
 */
export function compressText(text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const fast = brotli(bytes, FAST_QUALITY);
  if (fast.byteLength <= SLOW_PASS_FROM_BYTES) return fast;
  const slow = brotli(bytes, SLOW_QUALITY);
  return slow.byteLength <= fast.byteLength ? slow : fast;
}

/**
 * The text whose UTF-8 bytes `bytes` Brotli-compresses.
 *
 * @param bytes a BLOB as D1 returns it (an array of byte values) or as bytes
 * @throws Error when the bytes are not a valid Brotli stream
 */
export function decompressText(bytes: ArrayLike<number> | Uint8Array): string {
  return new TextDecoder().decode(brotliDecompressSync(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes)));
}
