import { describe, expect, it } from "vitest";
import { describeNetworkError, hostAndPort, needsProbe } from "../../src/delivery/network-errors";

const LOST = "Network connection lost.";

describe("naming a failed delivery request", () => {
  it("a lost connection where the probe was refused names a refused connection with host and port", () => {
    expect(describeNetworkError(LOST, "http://127.0.0.1:9999/hook", "refused")).toBe(
      "Connection refused by 127.0.0.1:9999 (nothing accepts connections there)",
    );
  });

  it("a lost connection where the probe was accepted says the receiver hung up", () => {
    expect(describeNetworkError(LOST, "https://hooks.example.com/in", "accepted")).toBe(
      "Connection to hooks.example.com:443 closed before the receiver answered (it accepts connections, then hung up)",
    );
  });

  it("a lost connection the probe could not settle says only that it was lost", () => {
    expect(describeNetworkError(LOST, "http://hooks.example.com/in", "unknown")).toBe("Connection to hooks.example.com:80 lost before the receiver answered");
  });

  it.each([
    ["proxy request failed, cannot connect to the specified address", "Connection refused by example.com:8080"],
    ["connect ECONNREFUSED 10.0.0.1:8080", "Connection refused by example.com:8080"],
    ["DNS lookup failed", "DNS failure: example.com could not be resolved"],
    ["getaddrinfo ENOTFOUND example.com", "DNS failure: example.com could not be resolved"],
    ["TLS handshake failed: certificate has expired", "TLS failure: no secure connection to example.com:8080"],
    ["read ECONNRESET", "Connection reset by example.com:8080"],
    ["Connection reset by peer", "Connection reset by example.com:8080"],
  ])("the platform's text %j is named without a probe", (message, named) => {
    expect(needsProbe(message)).toBe(false);
    expect(describeNetworkError(message, "http://example.com:8080/hook", null)).toBe(named);
  });

  it("only workerd's catch-all disconnect needs a probe", () => {
    expect(needsProbe(LOST)).toBe(true);
    expect(needsProbe("Something else entirely")).toBe(false);
  });

  it("an unrecognised text keeps the platform's words and names the target", () => {
    expect(describeNetworkError("Something else entirely", "http://example.com/hook", null)).toBe(
      "Network error reaching example.com:80: Something else entirely",
    );
  });

  it("the target's port defaults to the scheme's", () => {
    expect(hostAndPort("https://example.com/x").target).toBe("example.com:443");
    expect(hostAndPort("http://example.com/x").target).toBe("example.com:80");
    expect(hostAndPort("http://[::1]:8080/x").target).toBe("[::1]:8080");
  });
});
