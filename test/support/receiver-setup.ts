import type { TestProject } from "vitest/node";
import { startReceiver } from "./receiver";

// Global setup runs in Node, not workerd: the receiver is a real server the Worker calls over HTTP.
export default async function setup(project: TestProject) {
  const receiver = await startReceiver();
  project.provide("receiverUrl", receiver.url);
  return receiver.close;
}
