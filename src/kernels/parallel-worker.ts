/**
 * A worker thread of the executor's pool (parallel.ts), whatever started it: installs the shared
 * memory and this thread's workspace, loads the kernels on them (which registers their parallel
 * tasks), then takes chunks of the tasks the main thread publishes until the pool stops. The
 * platform entry points (parallel-web-worker.ts, src/node/thread-worker.ts) only pass `init` in.
 */
import { installWorkspace, workerLoop, type WorkerInit } from "./parallel-thread.js";

export async function runWorker(init: WorkerInit): Promise<void> {
  installWorkspace(init.memory, init.workspace);
  // Loaded after the workspace is installed: gemm.ts reads it when it is evaluated.
  await import("./parallel-gemm.js");
  await import("./parallel-depthwise.js");
  workerLoop(init);
}
