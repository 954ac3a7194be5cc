import { test } from "uvu";
import * as assert from "uvu/assert";
import { withChromium } from "./chromium.js";

test("headless Chromium starts and evaluates a page", async () => {
  const result = await withChromium(async (browser) => {
    const page = await browser.newPage();
    await page.setContent("<p id=x>fusec</p><script>document.title = String(6 * 7)</script>");
    return { text: await page.$eval("#x", (e) => e.textContent), title: await page.title(), wasm: await page.evaluate(() => typeof WebAssembly.validate) };
  });
  assert.equal(result, { text: "fusec", title: "42", wasm: "function" });
});

test.run();
