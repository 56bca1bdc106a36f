import { describe, expect, it } from "vitest";
import { blockedAddressReason, ipv4AddressesOf, parseIPv6 } from "../../src/security/ip-address";

describe("address classification", () => {
  it.each([
    ["8.8.8.8"],
    ["93.184.215.14"],
    ["1.1.1.1"],
    ["172.32.0.1"], // just past 172.16/12
    ["100.128.0.1"], // just past carrier-grade NAT
    ["[2606:4700:4700::1111]"],
    ["2a00:1450:4007:80e::200e"],
    ["[::ffff:8.8.8.8]"], // IPv4-mapped public
    ["[64:ff9b::808:808]"], // NAT64 of 8.8.8.8
    ["[2002:808:808::1]"], // 6to4 of 8.8.8.8
    ["[2001:0:808:808:0:0:f7f7:f7f7]"], // Teredo: server and client 8.8.8.8
  ])("%s is public", (address) => {
    expect(blockedAddressReason(address)).toBeNull();
  });

  it.each([
    ["0.0.0.0", "unspecified"],
    ["127.255.255.254", "loopback"],
    ["169.254.169.254", "link-local"],
    ["172.31.255.255", "private"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["192.0.0.8", "IETF protocol assignments"],
    ["198.19.255.255", "benchmarking"],
    ["203.0.113.9", "documentation"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["168.63.129.16", "Azure"],
    ["[::1]", "loopback"],
    ["::", "unspecified"],
    ["[::ffff:10.0.0.1]", "IPv4-mapped address of 10.0.0.1, private"],
    ["[::ffff:0:7f00:1]", "IPv4-translated"],
    ["[::7f00:1]", "IPv4-compatible"],
    ["[64:ff9b::a9fe:a9fe]", "NAT64 address of 169.254.169.254"],
    ["[64:ff9b:1::1]", "local-use NAT64"],
    ["[100::1]", "discard-only"],
    ["[2001:0:a00:1::1]", "Teredo address of 10.0.0.1"],
    ["[2001:2::1]", "IETF protocol assignments"],
    ["[2002:c0a8:101::]", "6to4 address of 192.168.1.1"],
    ["[3fff::1]", "documentation"],
    ["[fd12:3456::1]", "unique local"],
    ["[febf::1]", "link-local"],
    ["[fec0::1]", "site-local"],
    ["[ff05::2]", "multicast"],
    ["[4000::1]", "outside global unicast"],
  ])("%s is refused as %s", (address, reason) => {
    expect(blockedAddressReason(address)).toContain(reason);
  });

  it.each([["example.com"], ["1.2.3"], ["256.1.1.1"], ["01.2.3.4"], ["[example]"]])("%s is not an IP address", (text) => {
    expect(blockedAddressReason(text)).toBeUndefined();
  });

  it.each([
    ["[::169.254.169.254]", "IPv4-compatible (deprecated) address of 169.254.169.254, link-local"],
    ["[::ffff:0:a9fe:a9fe]", "IPv4-translated (SIIT) address of 169.254.169.254, link-local"],
    ["[64:ff9b:1:a9fe:a9:fe00::]", "local-use NAT64 address of 169.254.169.254, link-local"],
  ])("%s is refused for the IPv4 address it carries, first", (address, reason) => {
    expect(blockedAddressReason(address)).toContain(reason);
  });

  it.each([["[::8.8.8.8]"], ["[::ffff:0:808:808]"], ["[64:ff9b:1::808:808]"]])(
    "%s stays refused though the IPv4 address it carries is public",
    (address) => {
      expect(blockedAddressReason(address)).not.toBeNull();
    },
  );
});

describe("the IPv4 addresses an IP literal stands for", () => {
  it.each([
    ["169.254.169.254", ["169.254.169.254"]],
    ["[::ffff:169.254.169.254]", ["169.254.169.254"]],
    ["[::ffff:a9fe:a9fe]", ["169.254.169.254"]],
    ["[0:0:0:0:0:ffff:169.254.169.254]", ["169.254.169.254"]],
    ["[::169.254.169.254]", ["169.254.169.254"]],
    ["[::ffff:0:a9fe:a9fe]", ["169.254.169.254"]],
    ["[64:ff9b::a9fe:a9fe]", ["169.254.169.254"]],
    ["[2002:a9fe:a9fe::1]", ["169.254.169.254"]],
    ["[2001:0:a9fe:a9fe::5601:5601]", ["169.254.169.254", "169.254.169.254"]],
  ])("%s leads to %j", (address, expected) => {
    expect(ipv4AddressesOf(address)).toEqual(expected);
  });

  it.each([
    ["/48", "[64:ff9b:1:a9fe:a9:fe00::]"],
    ["/56", "[64:ff9b:1:a9:fe:a9fe::]"],
    ["/64", "[64:ff9b:1:0:a9:fea9:fe00:0]"],
    ["/96", "[64:ff9b:1::a9fe:a9fe]"],
  ])("a local-use NAT64 address with a %s prefix leads to its IPv4 address", (_prefix, address) => {
    expect(ipv4AddressesOf(address)).toContain("169.254.169.254");
  });

  it.each([["[2606:4700:4700::1111]"], ["[::1]"], ["example.com"]])("%s leads to no IPv4 address", (text) => {
    expect(ipv4AddressesOf(text)).toEqual([]);
  });
});

describe("IPv6 parsing", () => {
  it.each([
    ["::", 0n],
    ["::1", 1n],
    ["1::", 1n << 112n],
    ["0:0:0:0:0:ffff:7f00:1", 0xffff7f000001n],
    ["::ffff:127.0.0.1", 0xffff7f000001n],
    ["2001:DB8::1", (0x20010db8n << 96n) | 1n],
  ])("%s", (text, value) => {
    expect(parseIPv6(text)).toBe(value);
  });

  it.each([["1:2:3:4:5:6:7"], ["1:2:3:4:5:6:7:8:9"], ["1::2::3"], ["1:::2"], ["12345::"], ["::1.2.3.256"], ["g::1"], ["1:2:3:4:5:6:7::8"]])(
    "%s is rejected",
    (text) => {
      expect(parseIPv6(text)).toBeNull();
    },
  );
});
