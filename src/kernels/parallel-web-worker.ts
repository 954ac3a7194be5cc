/** The browser entry point of a kernel worker thread (parallel.ts starts it as a module Web Worker). */
import type { WorkerInit } from "./parallel-thread.js";
import { runWorker } from "./parallel-worker.js";

const scope = globalThis as unknown as { onmessage: ((event: { data: WorkerInit }) => void) | null };
scope.onmessage = (event) => {
  scope.onmessage = null;
  void runWorker(event.data);
};
