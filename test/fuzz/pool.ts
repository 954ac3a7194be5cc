/**
 * Runs fuzz inputs in a worker thread with a time limit per input: an input that takes longer
 * is a hang (the worker is terminated and a fresh one started), one that exhausts the worker's
 * memory limit is a finding too. The worker loads the compiler and runtime once.
 */
import { Worker } from "node:worker_threads";
import type { Outcome, Target } from "./targets.js";

export interface Finding {
  target: Target;
  input: string | Uint8Array;
  detail: string;
}

export class FuzzPool {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly timeLimitMs: number,
    private readonly memoryMb = 512,
  ) {}

  private start(): Promise<void> {
    const worker = new Worker(new URL("./worker.mjs", import.meta.url), {
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: this.memoryMb, stackSizeMb: 4 },
    });
    worker.unref();
    this.worker = worker;
    return new Promise((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
    });
  }

  /** The outcome of one input; a hang or a crashed worker is reported as a failed outcome. */
  async run(target: Target, input: string | Uint8Array): Promise<Outcome> {
    if (!this.worker) this.ready = this.start();
    await this.ready;
    const worker = this.worker!;
    // The first input of a fresh worker also pays for loading prettier and ts-morph.
    return new Promise<Outcome>((resolve) => {
      let done = false;
      const finish = (outcome: Outcome, restart: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        if (restart) {
          void worker.terminate();
          this.worker = undefined;
        }
        resolve(outcome);
      };
      const onMessage = (outcome: Outcome) => finish(outcome, false);
      const onError = (e: Error) => finish({ ok: false, detail: `worker crashed: ${e.stack ?? e.message}` }, true);
      const onExit = (code: number) => finish({ ok: false, detail: `worker exited with code ${code}` }, true);
      const timer = setTimeout(() => finish({ ok: false, detail: `hang: no answer within ${this.timeLimitMs} ms` }, true), this.timeLimitMs);
      worker.on("message", onMessage);
      worker.once("error", onError);
      worker.once("exit", onExit);
      worker.postMessage({ target, input });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
