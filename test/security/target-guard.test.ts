import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { apiJson, bucket, eventually, newEndpoint, newTenant, received, receiverUrl } from "../support/api";
import { callWorker, productionEnv, tenantRows } from "./support";
import { holdingQueue, consume } from "../support/worker";
import { rowsOnShards, shardOf } from "../support/shards";

const endpointsOf = (tenant: string) => `/v1/tenants/${tenant}/endpoints`;

describe("the target guard accepts public targets under the production policy", () => {
  it.each([
    ["a hostname whose every answer is public", "https://public-ok.example.com/hook"],
    ["a public IPv4 literal", "https://93.184.215.14/hook"],
    ["a public IPv6 literal", "https://[2606:4700:4700::1111]/hook"],
    ["an IPv4-mapped public address", "https://[::ffff:93.184.215.14]/hook"],
    ["a 6to4 address of a public host", "https://[2002:5db8:d70e::1]/hook"],
    ["port 8443", "https://public-ok.example.com:8443/hook"],
    ["the https default port written out", "https://public-ok.example.com:443/hook"],
  ])("%s", async (_name, url) => {
    const { id } = await newTenant();
    const res = await callWorker(productionEnv(), "POST", endpointsOf(id), { body: { url } });
    expect(res.status).toBe(201);
    expect(res.body.url).toBe(url);
  });

  it("without DOH_URL hostnames are not resolved, so only the URL itself is judged", async () => {
    const { id } = await newTenant();
    const res = await callWorker(productionEnv({ DOH_URL: "" }), "POST", endpointsOf(id), {
      body: { url: "https://private-unchecked.example.com/hook" },
    });
    expect(res.status).toBe(201);
  });

  it("a resolver that answers with an error refuses the target with 503 naming the field", async () => {
    const { id } = await newTenant();
    const res = await callWorker(productionEnv({ DOH_URL: `${receiverUrl()}/no-resolver-here` }), "POST", endpointsOf(id), {
      body: { url: "https://public-ok.example.com/hook" },
    });
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: "dns_unavailable", issues: [{ path: "url" }] });
  });
});

describe("where private targets are allowed (local development)", () => {
  it("a loopback receiver is accepted", async () => {
    const { id } = await newTenant();
    expect((await apiJson("POST", endpointsOf(id), { body: { url: `${receiverUrl()}/ok/x` } })).status).toBe(201);
  });

  it.each([
    ["the metadata address", "http://169.254.169.254/latest/meta-data/"],
    ["the metadata hostname", "http://metadata.google.internal/computeMetadata/v1/"],
    ["AWS's IPv6 metadata address", "http://[fd00:ec2::254]/latest/meta-data/"],
  ])("%s is still refused", async (_name, url) => {
    const { id } = await newTenant();
    const res = await apiJson("POST", endpointsOf(id), { body: { url } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("private_target");
  });

  it.each([
    ["Tencent Cloud's metadata address", "http://169.254.0.23/meta-data/"],
    ["EKS Pod Identity's address", "http://169.254.170.23/v1/credentials"],
    ["Scaleway's metadata address", "http://169.254.42.42/conf"],
    ["any other link-local IPv4 address", "http://169.254.1.1/"],
    ["a link-local IPv4 address in an IPv4-mapped IPv6 form", "http://[::ffff:169.254.0.23]/"],
    ["Oracle Cloud Classic's metadata address", "http://192.0.0.192/"],
    ["Google Cloud's IPv6 metadata address", "http://[fd20:ce::254]/computeMetadata/v1/"],
    ["Oracle Cloud's IPv6 metadata address", "http://[fd00:c1::a9fe:a9fe]/opc/v2/"],
    ["EKS Pod Identity's IPv6 address", "http://[fd00:ec2::23]/v1/credentials"],
    ["OpenStack's IPv6 metadata address", "http://[fe80::a9fe:a9fe]/openstack/"],
  ])("%s, a cloud metadata service, is refused on create, update and as a webhook_url", async (_name, url) => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const before = await tenantRows(id);
    const created = await apiJson("POST", endpointsOf(id), { body: { url } });
    const updated = await apiJson("PATCH", `${endpointsOf(id)}/${endpoint.id}`, { body: { url } });
    const enqueued = await apiJson("POST", `/v1/tenants/${id}/messages`, { body: { event: "x", payload: 1, webhook_url: url } });
    expect([created.status, updated.status, enqueued.status]).toEqual([400, 400, 400]);
    expect([created, updated, enqueued].map((r) => r.body.error.code)).toEqual(["private_target", "private_target", "private_target"]);
    expect(await tenantRows(id)).toEqual(before);
  });
});

/** IPv6 spellings that carry a cloud metadata IPv4 address, which the runtime connects to that host. */
const EMBEDDED_METADATA: Array<[form: string, url: string]> = [
  ["IPv4-mapped, dotted", "http://[::ffff:169.254.169.254]/"],
  ["IPv4-mapped, hex", "http://[::ffff:a9fe:a9fe]/"],
  ["IPv4-mapped, written out", "http://[0:0:0:0:0:ffff:169.254.169.254]/"],
  ["NAT64 well-known prefix", "http://[64:ff9b::a9fe:a9fe]/"],
  ["IPv4-compatible", "http://[::169.254.169.254]/"],
  ["IPv4-mapped Alibaba metadata", "http://[::ffff:100.100.100.200]/"],
  ["IPv4-translated (SIIT)", "http://[::ffff:0:a9fe:a9fe]/latest/meta-data/"],
  ["NAT64 local-use prefix", "http://[64:ff9b:1::a9fe:a9fe]/"],
  ["NAT64 local-use /48 layout", "http://[64:ff9b:1:a9fe:a9:fe00::]/"],
  ["6to4", "http://[2002:a9fe:a9fe::1]/"],
  ["Teredo server", "http://[2001:0:a9fe:a9fe::1]/"],
  ["Teredo client", "http://[2001:0:808:808::5601:5601]/"],
  ["NAT64 Azure wireserver", "http://[64:ff9b::a83f:8110]/"],
  ["IPv4-mapped ECS task metadata", "http://[::ffff:169.254.170.2]/v2/credentials"],
];

describe("an address that embeds a metadata IPv4 address is refused in every mode", () => {
  it.each(EMBEDDED_METADATA)("%s, on create where private targets are allowed", async (_form, url) => {
    const { id } = await newTenant();
    const res = await apiJson("POST", endpointsOf(id), { body: { url } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "private_target", issues: [{ path: "url" }] });
  });

  it.each(EMBEDDED_METADATA)("%s, on create under the production policy", async (_form, url) => {
    const { id } = await newTenant();
    const res = await callWorker(productionEnv({ REQUIRE_HTTPS: "false" }), "POST", endpointsOf(id), { body: { url } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("private_target");
  });

  it("on update", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const res = await apiJson("PATCH", `${endpointsOf(id)}/${endpoint.id}`, { body: { url: "http://[::ffff:169.254.169.254]/" } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("private_target");
  });

  it("as a one-off webhook_url, storing nothing", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${id}/messages`, { body: { event: "x", payload: 1, webhook_url: "http://[64:ff9b::a9fe:a9fe]/" } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "private_target", issues: [{ path: "webhook_url" }] });
    expect(await rowsOnShards("messages", id)).toBe(0);
  });

  it("at send time, for a target stored before the rule", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}`, retry: { max_attempts: 1 } });
    await (await shardOf(id)).prepare("UPDATE endpoints SET url = ? WHERE id = ?").bind("http://[::ffff:a9fe:a9fe]/latest/meta-data/", endpoint.id).run();
    const sent = await apiJson("POST", `/v1/tenants/${id}/messages`, { body: { event: "x", payload: 1, endpoint_ids: [endpoint.id] } });
    const delivery = await eventually(async () => {
      const res = await apiJson("GET", `/v1/tenants/${id}/deliveries/${sent.body.deliveries[0].id}`);
      return res.body.status === "failed" && res.body;
    });
    expect(delivery.attempts).toMatchObject([{ outcome: "permanent", error_kind: "blocked_target", status_code: null }]);
  });

  it("a mapped loopback address is still allowed where private targets are, as 127.0.0.1 is", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", endpointsOf(id), { body: { url: "http://[::ffff:127.0.0.1]:8080/hook" } });
    expect(res.status).toBe(201);
  });
});

describe("the target guard runs again at send time", () => {
  /** Enqueues one message to `endpointId` under `workerEnv`, delivers it with that env, and returns the delivery. */
  async function deliverOnce(workerEnv: Env, tenant: string, endpointId: string) {
    const capture = holdingQueue();
    const enqueued = await callWorker({ ...workerEnv, DELIVERIES: capture.queue }, "POST", `/v1/tenants/${tenant}/messages`, {
      body: { event: "document.predicted", payload: { n: 1 }, endpoint_ids: [endpointId] },
    });
    expect(enqueued.status).toBe(202);
    await consume(capture.sent, { env: workerEnv });
    return (await apiJson("GET", `/v1/tenants/${tenant}/deliveries/${enqueued.body.deliveries[0].id}`)).body;
  }

  it("a stored loopback target is not called once the policy refuses private targets", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const delivery = await deliverOnce(productionEnv({ REQUIRE_HTTPS: "false" }), id, endpoint.id);
    expect(delivery.status).toBe("failed");
    expect(delivery.attempts).toMatchObject([{ outcome: "permanent", error_kind: "blocked_target", status_code: null }]);
    expect(await received(name)).toEqual([]);
  });

  it("a hostname that resolved publicly when written but privately when sent (rebinding) is not called", async () => {
    const { id } = await newTenant();
    const host = `rebind-${bucket()}.example.com`;
    const created = await callWorker(productionEnv(), "POST", endpointsOf(id), { body: { url: `https://${host}/hook` } });
    expect(created.status).toBe(201);
    const delivery = await deliverOnce(productionEnv(), id, created.body.id);
    expect(delivery.status).toBe("failed");
    expect(delivery.attempts[0]).toMatchObject({ outcome: "permanent", error_kind: "blocked_target" });
    expect(delivery.attempts[0].error).toContain("127.0.0.1");
  });

  it("a lookup that fails at send time is a retryable failure, not a send", async () => {
    const { id } = await newTenant();
    const created = await callWorker(productionEnv(), "POST", endpointsOf(id), { body: { url: "https://public-later.example.com/hook" } });
    const delivery = await deliverOnce(productionEnv({ DOH_URL: `${receiverUrl()}/no-resolver-here` }), id, created.body.id);
    expect(delivery.status).toBe("retrying");
    expect(delivery.attempts[0]).toMatchObject({ outcome: "retryable", error_kind: "network" });
  });
});

describe("redirects", () => {
  it("a 302 is recorded as a failed attempt and its Location is never requested", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/redirect/${name}`, retry: { max_attempts: 1 } });
    const sent = await apiJson("POST", `/v1/tenants/${id}/messages`, { body: { event: "a.b", payload: {}, endpoint_ids: [endpoint.id] } });
    const deliveryPath = `/v1/tenants/${id}/deliveries/${sent.body.deliveries[0].id}`;
    const delivery = await eventually(async () => {
      const res = await apiJson("GET", deliveryPath);
      return res.body.status === "failed" && res.body;
    });
    expect(delivery.attempts).toMatchObject([{ outcome: "retryable", status_code: 302, error_kind: "redirect" }]);
    expect((await received(name)).map((r) => r.path)).toEqual([`/redirect/${name}`]);
  });
});
