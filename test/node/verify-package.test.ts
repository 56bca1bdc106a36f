import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signatureHeaders, type SignatureConfig } from "../../src/delivery/signing";
import { generateSigningKey, publicKeyOf } from "../../src/security/signing-keys";
import { ROOT } from "./support/processes";
import { systemNode } from "./support/system-node";

// A receiver developer's view of packages/verify: `npm pack` there, install the tarball into an
// empty folder with no network, and verify deliveries signed by Edgehook's own signer in a plain
// `node` process that sees nothing of this repository.

const exec = promisify(execFile);
const PACKAGE_DIR = path.join(ROOT, "packages/verify");
const manifest = JSON.parse(readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8"));

const MESSAGE_ID = "msg_2fYk3cQZb8pXv1N0aRt7Ue";
const BODY = JSON.stringify({ type: "invoice.paid", data: { id: "inv_42", note: "naïve ✓" } });
const HMAC_SECRET = generateSigningKey("hmac");
const ED25519_KEY = generateSigningKey("ed25519");

let workDir: string;
let installDir: string;

/** Verifies `headers` for `body` with `options` inside the installed package, in the system Node. */
async function verifyInPackage(body: string, headers: Record<string, string>, options: object) {
  const script = `
    import { verifyWebhook } from "@edgehook/verify";
    const [body, headers, options] = JSON.parse(process.argv[1]);
    try {
      const verified = await verifyWebhook(body, headers, options);
      console.log(JSON.stringify({ verified: true, scheme: verified.scheme, id: verified.id }));
    } catch (error) {
      console.log(JSON.stringify({ verified: false, name: error.name, code: error.code }));
    }`;
  const { stdout } = await exec(systemNode(), ["--input-type=module", "-e", script, JSON.stringify([body, headers, options])], {
    cwd: installDir,
  });
  return JSON.parse(stdout);
}

/** The headers Edgehook sends with one delivery signed now (src/delivery/send.ts: id and timestamp, then the signature). */
async function signed(config: SignatureConfig, key: string, body = BODY): Promise<Record<string, string>> {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    "webhook-id": MESSAGE_ID,
    "webhook-timestamp": String(timestamp),
    ...(await signatureHeaders(config, [key], MESSAGE_ID, timestamp, body)),
  };
}

const forged = BODY.replace("inv_42", "inv_43");

describe("the @edgehook/verify tarball, installed into an empty folder", () => {
  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), "edgehook-verify-package-"));
    installDir = path.join(workDir, "receiver");
    // `npm pack` runs prepack, which builds dist/ with tsc: the tarball carries the build.
    await exec("npm", ["pack", "--pack-destination", workDir], { cwd: PACKAGE_DIR });
    const tarball = readdirSync(workDir).find((name) => name.endsWith(".tgz"));
    if (!tarball) throw new Error("npm pack made no tarball");
    await exec("mkdir", [installDir]);
    await exec("npm", ["install", "--offline", "--no-audit", "--no-fund", path.join(workDir, tarball)], { cwd: installDir });
  }, 120_000);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it("is a public package with no runtime dependencies that promises Node 20 or later", () => {
    expect(manifest.private).toBeUndefined();
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.peerDependenciesMeta.hono.optional).toBe(true);
    expect(manifest.engines.node).toBe(">=20");
  });

  it("installs nothing but itself", () => {
    expect(readdirSync(path.join(installDir, "node_modules")).filter((name) => !name.startsWith("."))).toEqual(["@edgehook"]);
    expect(readdirSync(path.join(installDir, "node_modules/@edgehook"))).toEqual(["verify"]);
  });

  it("ships its build, type declarations, README and LICENSE in the tarball", () => {
    const installed = path.join(installDir, "node_modules/@edgehook/verify");
    for (const file of ["dist/index.js", "dist/index.d.ts", "dist/hono.js", "dist/hono.d.ts", "README.md", "LICENSE"]) {
      expect(existsSync(path.join(installed, file)), file).toBe(true);
    }
  });

  it("runs in the Node a user's shell finds, which is Node 20 or later", async () => {
    const { stdout } = await exec(systemNode(), ["--version"]);
    expect(Number(stdout.trim().slice(1).split(".")[0])).toBeGreaterThanOrEqual(20);
  });

  it("verifies a standard delivery signed by Edgehook", async () => {
    const headers = await signed({ scheme: "standard" }, HMAC_SECRET);
    expect(await verifyInPackage(BODY, headers, { secret: HMAC_SECRET })).toEqual({ verified: true, scheme: "standard", id: MESSAGE_ID });
  });

  it("refuses a standard delivery whose body was changed after signing", async () => {
    const headers = await signed({ scheme: "standard" }, HMAC_SECRET);
    expect(await verifyInPackage(forged, headers, { secret: HMAC_SECRET })).toEqual({
      verified: false,
      name: "NoMatchingSignatureError",
      code: "no_matching_signature",
    });
  });

  it("verifies an hmac-sha256 delivery signed by Edgehook with a custom header and prefix", async () => {
    const config = { scheme: "hmac-sha256", header: "X-Hub-Signature-256", prefix: "sha256=" } as const;
    const headers = await signed(config, HMAC_SECRET);
    expect(await verifyInPackage(BODY, headers, { ...config, secret: HMAC_SECRET })).toMatchObject({ verified: true, scheme: "hmac-sha256" });
  });

  it("refuses an hmac-sha256 delivery signed with another secret", async () => {
    const headers = await signed({ scheme: "hmac-sha256" }, generateSigningKey("hmac"));
    expect(await verifyInPackage(BODY, headers, { scheme: "hmac-sha256", secret: HMAC_SECRET })).toMatchObject({
      verified: false,
      code: "no_matching_signature",
    });
  });

  it("verifies an ed25519 delivery signed by Edgehook with the endpoint's public key", async () => {
    const headers = await signed({ scheme: "ed25519" }, ED25519_KEY);
    const publicKey = await publicKeyOf(ED25519_KEY);
    expect(await verifyInPackage(BODY, headers, { scheme: "ed25519", publicKey })).toEqual({ verified: true, scheme: "ed25519", id: MESSAGE_ID });
  });

  it("refuses an ed25519 delivery whose body was changed after signing", async () => {
    const headers = await signed({ scheme: "ed25519" }, ED25519_KEY);
    const publicKey = await publicKeyOf(ED25519_KEY);
    expect(await verifyInPackage(forged, headers, { scheme: "ed25519", publicKey })).toMatchObject({
      verified: false,
      code: "no_matching_signature",
    });
  });

  it("throws a TypeError when an ed25519 public key is given as an hmac-sha256 secret", async () => {
    const headers = await signed({ scheme: "hmac-sha256" }, HMAC_SECRET);
    const publicKey = await publicKeyOf(ED25519_KEY);
    expect(await verifyInPackage(BODY, headers, { scheme: "hmac-sha256", secret: publicKey })).toEqual({ verified: false, name: "TypeError" });
  });

  it("exports the Hono middleware from @edgehook/verify/hono without needing Hono to load it", async () => {
    const script = `import { verifyWebhookMiddleware } from "@edgehook/verify/hono"; console.log(typeof verifyWebhookMiddleware({ secret: "whsec_c2VjcmV0" }));`;
    const { stdout } = await exec(systemNode(), ["--input-type=module", "-e", script], { cwd: installDir });
    expect(stdout.trim()).toBe("function");
  });
});
