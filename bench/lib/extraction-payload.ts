/**
 * A realistic webhook payload for the storage and cost phase: what a document-extraction platform
 * sends when a prediction is ready. Padding ("xxxx…") compresses to almost nothing and would
 * flatter any compressed storage; these payloads carry the mix of short strings and many
 * 3-decimal floats that real extraction results have, so bytes stored per message are honest.
 */

/** The size the generator fills up to, in UTF-8 bytes of the JSON text (the bench's 4 KiB case). */
export const EXTRACTION_PAYLOAD_BYTES = 4096;

/** A quadrilateral on the page: four [x, y] points, each coordinate in 0..1 with 3 decimals. */
type Polygon = Array<[number, number]>;

interface Field {
  value: string | number;
  confidence: number;
  polygon: Polygon;
}

interface LineItem {
  description: string;
  quantity: number;
  unit_price: number;
  total_amount: number;
  confidence: number;
  polygon: Polygon;
}

/** The payload's shape: a prediction of one invoice. */
export interface ExtractionPayload {
  document_id: string;
  model: string;
  fields: Record<string, Field>;
  line_items: LineItem[];
}

/** mulberry32: a small seeded PRNG, so the same seed always gives the same payload. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ["consulting", "licence", "support", "hardware", "travel", "training", "hosting", "audit", "design", "freight", "annual", "monthly", "premium", "service", "module", "seat"];

/**
 * A 4-point polygon around a box whose top-left corner is random, 3 decimals per coordinate.
 */
function polygonOf(next: () => number): Polygon {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const x = round(next() * 0.8);
  const y = round(next() * 0.9);
  const w = round(0.05 + next() * 0.15);
  const h = round(0.01 + next() * 0.02);
  return [[x, y], [round(x + w), y], [round(x + w), round(y + h)], [x, round(y + h)]];
}

const confidenceOf = (next: () => number) => Math.round((0.6 + next() * 0.4) * 1000) / 1000;
const moneyOf = (next: () => number, max: number) => Math.round(next() * max * 100) / 100;

/**
 * The extraction result of document number `seed`: ten fields (value, confidence, polygon), then
 * line items (description, quantity, unit price, total, confidence, polygon) for as long as the
 * JSON text stays within `maxBytes` (default EXTRACTION_PAYLOAD_BYTES). Deterministic: the same
 * seed and size give the same payload. Throws if `maxBytes` cannot hold the fields alone.
 */
export function extractionPayload(seed: number, maxBytes = EXTRACTION_PAYLOAD_BYTES): ExtractionPayload {
  const next = random(seed);
  const field = (value: string | number): Field => ({ value, confidence: confidenceOf(next), polygon: polygonOf(next) });
  const day = 1 + Math.floor(next() * 28);
  const subtotal = moneyOf(next, 20_000);
  const payload: ExtractionPayload = {
    document_id: `doc_${seed.toString(36).padStart(8, "0")}`,
    model: "invoice-v4",
    fields: {
      invoice_number: field(`INV-${100000 + Math.floor(next() * 900000)}`),
      invoice_date: field(`2026-11-${String(day).padStart(2, "0")}`),
      due_date: field(`2026-12-${String(day).padStart(2, "0")}`),
      supplier_name: field(`${WORDS[Math.floor(next() * WORDS.length)]} Ltd`),
      supplier_vat_number: field(`FR${Math.floor(next() * 1e11)}`),
      customer_name: field(`Customer ${Math.floor(next() * 10_000)}`),
      currency: field("EUR"),
      subtotal: field(subtotal),
      total_tax: field(Math.round(subtotal * 20) / 100),
      total_amount: field(Math.round(subtotal * 120) / 100),
    },
    line_items: [],
  };
  const size = () => new TextEncoder().encode(JSON.stringify(payload)).length;
  if (size() > maxBytes) throw new Error(`${maxBytes} bytes cannot hold an extraction payload's fields (${size()} bytes)`);
  for (;;) {
    const quantity = 1 + Math.floor(next() * 20);
    const unitPrice = moneyOf(next, 500);
    payload.line_items.push({
      description: `${WORDS[Math.floor(next() * WORDS.length)]} ${WORDS[Math.floor(next() * WORDS.length)]}`,
      quantity,
      unit_price: unitPrice,
      total_amount: Math.round(quantity * unitPrice * 100) / 100,
      confidence: confidenceOf(next),
      polygon: polygonOf(next),
    });
    if (size() > maxBytes) {
      payload.line_items.pop();
      return payload;
    }
  }
}
