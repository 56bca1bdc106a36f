/**
 * A realistic webhook payload for storage measurements: a document-extraction result like the
 * seeds' (about ten fields, each with a value, a confidence and a 4-point polygon of 3-decimal
 * floats, then line items), about 4 KiB of JSON. Deterministic for a seed, so the footprint test
 * (test/storage-footprint.test.ts) and the bench measure the same documents.
 */

/** A small deterministic PRNG (mulberry32): uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELDS = ["supplier_name", "supplier_address", "customer_name", "invoice_number", "invoice_date", "due_date", "currency", "total_net", "total_tax", "total_amount"];
const ITEMS = ["Consulting services", "Cloud hosting (monthly)", "Support plan", "Hardware lease", "Travel expenses", "Training session", "Software licence", "Data migration"];

/** The JSON text of extraction result number `seed`, at most `maxBytes` (default 4,096) of UTF-8. */
export function extractionPayload(seed: number, maxBytes = 4096): string {
  const random = prng(seed);
  const float = (scale = 1) => Number((random() * scale).toFixed(3));
  const polygon = () => {
    const x = float(0.8);
    const y = float(0.9);
    const w = float(0.2);
    const h = float(0.03);
    return [[x, y], [Number((x + w).toFixed(3)), y], [Number((x + w).toFixed(3)), Number((y + h).toFixed(3))], [x, Number((y + h).toFixed(3))]];
  };
  const fields = Object.fromEntries(
    FIELDS.map((name, i) => [name, { value: name.includes("date") ? `2026-${String(1 + (i % 12)).padStart(2, "0")}-${String(1 + Math.floor(random() * 28)).padStart(2, "0")}` : name.startsWith("total") ? float(10_000) : `${name.replace(/_/g, " ")} ${Math.floor(random() * 100_000)}`, confidence: float(), polygon: polygon() }]),
  );
  const document = { id: `doc_${seed}`, model: "invoice-v4", pages: 1, fields, line_items: [] as unknown[] };
  for (;;) {
    const quantity = 1 + Math.floor(random() * 20);
    const unitPrice = float(500);
    const item = {
      description: ITEMS[Math.floor(random() * ITEMS.length)],
      quantity,
      unit_price: unitPrice,
      total: Number((quantity * unitPrice).toFixed(2)),
      confidence: float(),
      polygon: polygon(),
    };
    document.line_items.push(item);
    if (new TextEncoder().encode(JSON.stringify(document)).byteLength > maxBytes) {
      document.line_items.pop();
      return JSON.stringify(document);
    }
  }
}
