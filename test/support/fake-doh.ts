/**
 * A fake DNS-over-HTTPS server (the JSON API) for the target guard's tests, served by the test
 * receiver at `GET /dns-query?name=…&type=A|AAAA`. Tests never reach real DNS: the first label of
 * the name picks the answer.
 *   public-*      A 93.184.215.14, AAAA 2606:2800:21f:cb07:6820:80da:af6b:8b2c
 *   private-*     A 10.20.30.40
 *   loopback-*    A 127.0.0.1
 *   metadata-*    CNAME, then A 169.254.169.254
 *   v6private-*   A 93.184.215.14 (public), AAAA fd00::1 (private)
 *   mapped-*      AAAA ::ffff:127.0.0.1
 *   empty-*       no records
 *   nxdomain-*    NXDOMAIN (also any other name)
 *   servfail-*    SERVFAIL
 *   broken-*      HTTP 500
 *   garbage-*     200 with a body that is not a DNS answer
 *   rebind-*      A 93.184.215.14 the first time it is asked, 127.0.0.1 afterwards (TTL 0)
 */

const PUBLIC_V4 = "93.184.215.14";
const PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c";
const A = 1;
const CNAME = 5;
const AAAA = 28;

type DnsRecord = { name: string; type: number; TTL: number; data: string };

/** The fake server's answer to one query: an HTTP status and a JSON body. */
export function answerDnsQuery(name: string, type: string, timesAsked: Map<string, number>): { status: number; body: unknown } {
  const label = name.split(".")[0] ?? "";
  const kind = label.split("-")[0];
  const wantA = type === "A";
  const record = (data: string, recordType = wantA ? A : AAAA, ttl = 300): DnsRecord => ({ name, type: recordType, TTL: ttl, data });
  const answer = (records: DnsRecord[]) => ({ status: 200, body: { Status: 0, Question: [{ name, type: wantA ? A : AAAA }], Answer: records } });
  switch (kind) {
    case "public":
      return answer([record(wantA ? PUBLIC_V4 : PUBLIC_V6)]);
    case "private":
      return answer(wantA ? [record("10.20.30.40")] : []);
    case "loopback":
      return answer(wantA ? [record("127.0.0.1")] : []);
    case "metadata":
      return answer(wantA ? [record(`target.${name}.`, CNAME), record("169.254.169.254")] : []);
    case "v6private":
      return answer([record(wantA ? PUBLIC_V4 : "fd00::1")]);
    case "mapped":
      return answer(wantA ? [] : [record("::ffff:127.0.0.1")]);
    case "empty":
      return answer([]);
    case "servfail":
      return { status: 200, body: { Status: 2 } };
    case "broken":
      return { status: 500, body: { error: "resolver broke" } };
    case "garbage":
      return { status: 200, body: { Status: 0, Answer: "127.0.0.1" } };
    case "rebind": {
      if (!wantA) return answer([]);
      const asked = timesAsked.get(name) ?? 0;
      timesAsked.set(name, asked + 1);
      return answer([record(asked === 0 ? PUBLIC_V4 : "127.0.0.1", A, 0)]);
    }
    default:
      return { status: 200, body: { Status: 3 } };
  }
}
