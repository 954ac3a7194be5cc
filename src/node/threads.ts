/**
 * Worker threads for the executor in Node (see src/kernels/parallel.ts): registers a spawner that
 * starts each kernel worker with node:worker_threads. The `fusec` entry point imports this module.
 * Workers are unref'd: a process whose main thread is done exits even if a session was not closed.
 */
import { Worker } from "node:worker_threads";
import { setWorkerSpawner, type WorkerInit } from "../kernels/parallel.js";

/** Run from the TypeScript sources (tests, benchmarks): the worker loads them through tsx too. */
const fromSource = import.meta.url.endsWith(".ts");

function startWorker(init: WorkerInit, onError: (error: unknown) => void): { terminate(): void } {
  const entry = new URL(fromSource ? "./thread-worker.ts" : "./thread-worker.js", import.meta.url);
  const options = { workerData: init, name: `fusec kernels ${init.index}` };
  const worker = fromSource
    ? new Worker(`import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`, { ...options, eval: true })
    : new Worker(entry, options);
  worker.unref();
  let stopping = false;
  worker.on("error", onError);
  worker.on("exit", (code) => {
    if (code !== 0 && !stopping) onError(new Error(`kernel worker ${init.index} exited with code ${code}`));
  });
  return {
    terminate() {
      stopping = true;
      void worker.terminate();
    },
  };
}

setWorkerSpawner(startWorker);
