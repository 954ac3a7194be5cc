/** The Node entry point of a kernel worker thread (src/node/threads.ts starts it). */
import { workerData } from "node:worker_threads";
import { runWorker } from "../kernels/parallel-worker.js";
import type { WorkerInit } from "../kernels/parallel.js";

await runWorker(workerData as WorkerInit);
