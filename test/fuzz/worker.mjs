// Worker entry: registers tsx in this thread (a worker does not inherit the loader), then loads
// the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
