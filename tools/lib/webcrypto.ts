import { webcrypto } from "node:crypto";

// Node 18 keeps Web Crypto off the global object; edgehook/verify expects it there, as every
// other runtime (and Node ≥ 20) provides it.
if (typeof crypto === "undefined") {
  Object.defineProperty(globalThis, "crypto", { value: webcrypto, configurable: true, writable: true });
}
