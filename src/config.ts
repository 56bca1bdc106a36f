import { z } from "zod";
import { DEFAULT_PAYLOAD_BYTES, PAYLOAD_BYTES_CEILING } from "./limits";

const flag = z.enum(["true", "false"]).transform((v) => v === "true");
const positiveInt = z.coerce.number().int().positive();

const ConfigSchema = z.object({
  ALLOW_PRIVATE_TARGETS: flag.default(false),
  REQUIRE_HTTPS: flag.default(true),
  MAX_PAYLOAD_BYTES: positiveInt.max(PAYLOAD_BYTES_CEILING).default(DEFAULT_PAYLOAD_BYTES),
  DOH_URL: z.url({ protocol: /^https?$/ }).optional(),
  RETENTION_DAYS: positiveInt.default(30),
  AUTO_DISABLE_AFTER_SECONDS: positiveInt.default(5 * 24 * 3600),
  SWEEP_STUCK_AFTER_SECONDS: positiveInt.default(300),
});

/** Runtime settings read from Worker vars, with defaults for any that are unset. */
export type Config = z.output<typeof ConfigSchema>;

const cache = new WeakMap<object, Config>();

/**
 * Parses the Worker's vars once per env object. A malformed value throws: a misconfigured
 * deployment should fail loudly rather than run with a guessed setting.
 */
export function readConfig(env: Partial<Record<keyof Config, string>>): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const config = ConfigSchema.parse({
    ALLOW_PRIVATE_TARGETS: env.ALLOW_PRIVATE_TARGETS || undefined,
    REQUIRE_HTTPS: env.REQUIRE_HTTPS || undefined,
    MAX_PAYLOAD_BYTES: env.MAX_PAYLOAD_BYTES || undefined,
    DOH_URL: env.DOH_URL || undefined,
    RETENTION_DAYS: env.RETENTION_DAYS || undefined,
    AUTO_DISABLE_AFTER_SECONDS: env.AUTO_DISABLE_AFTER_SECONDS || undefined,
    SWEEP_STUCK_AFTER_SECONDS: env.SWEEP_STUCK_AFTER_SECONDS || undefined,
  });
  cache.set(env, config);
  return config;
}
