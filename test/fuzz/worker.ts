/** The fuzz worker: answers each `{target, input}` message with the input's `Outcome`. */
import { parentPort } from "node:worker_threads";
import { runTarget, type Target } from "./targets.js";

const port = parentPort!;
port.on("message", (message: { target: Target; input: string | Uint8Array }) => {
  void runTarget(message.target, message.input).then((outcome) => port.postMessage(outcome));
});
port.postMessage("ready");
