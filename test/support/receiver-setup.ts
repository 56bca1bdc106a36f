import { createServer } from "node:net";
import type { TestProject } from "vitest/node";
import { startReceiver } from "./receiver";

/** A loopback URL whose port nothing listens on: bound, then closed, so the port was free a moment ago. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}

// Global setup runs in Node, not workerd: the receiver is a real server the Worker calls over HTTP.
export default async function setup(project: TestProject) {
  const receiver = await startReceiver();
  project.provide("receiverUrl", receiver.url);
  project.provide("closedPortUrl", await closedPortUrl());
  return receiver.close;
}
