/**
 * `npm run bench`: runs every benchmark in one process and prints their numbers side by side:
 * executor speed against onnxruntime-web and onnxruntime-node (speed: real models, kernel
 * GFLOP/s, per-node overhead), driver throughput and scaling (driver), convolution GFLOP/s against onnxruntime (conv),
 * unfused vs fused latency (fused: a synthetic CNN; latency: the real models, against
 * onnxruntime), and node counts on the real models against onnxruntime's
 * own optimizer (models). Each module exports `main()`.
 */
const BENCHMARKS = ["speed", "driver", "conv", "fused", "latency", "models"];

/** Arguments per benchmark: the latency table (a subset of speed's, plus unfused graphs) gets a short budget. */
const ARGS: Record<string, string[]> = { latency: ["--budget", "5"] };

for (const name of BENCHMARKS) {
  const module = (await import(`./${name}.ts`)) as { main: (args?: readonly string[]) => Promise<void> };
  console.log(`── ${name} ──`);
  await module.main(ARGS[name] ?? []);
}
