/**
 * SQL expressions for values D1 must generate inside a statement, so that fan-out can insert
 * one row per matching endpoint with `INSERT … SELECT` in the same round trip as the message.
 */

/** A random RFC 9562 version-4 UUID, lowercase. */
export const SQL_UUID_V4 = `lower(
  hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
  substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;

/** A random 64-bit token in hex: names the live queue chain of a delivery. */
export const SQL_QUEUE_TOKEN = "lower(hex(randomblob(8)))";
