/**
 * Headless Chromium for browser tests: Debian's `chromium` package (scripts/install-chromium.sh
 * installs it; .ci/run calls that script), driven through puppeteer-core.
 *
 *   await withChromium(async (browser) => {
 *     const page = await browser.newPage();
 *     await page.goto(url);
 *   });
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/** The Chromium binary: $CHROMIUM_PATH, else Debian's. */
export function chromiumPath(): string {
  const fromEnv = process.env["CHROMIUM_PATH"];
  if (fromEnv) return fromEnv;
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error("Chromium not found: run scripts/install-chromium.sh (Debian's chromium package)");
  return found;
}

/**
 * Flags for a closed network: without the background-networking ones Chromium keeps trying to
 * reach Google's hosts, and every attempt is refused here.
 */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** Starts Chromium with a fresh profile, runs `fn`, and always closes it and removes the profile. */
export async function withChromium<T>(fn: (browser: Browser) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(join(tmpdir(), "fusec-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    args: [...FLAGS, `--user-data-dir=${profile}`],
    headless: true,
    timeout: 60_000,
  });
  try {
    return await fn(browser);
  } finally {
    await browser.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  }
}
