/**
 * A real headless Chromium (Debian's `chromium` package) driven by
 * puppeteer-core, for tests of the market page.
 *
 * @module
 */
import puppeteer, { type Browser } from "puppeteer-core";

/** Where Debian's package puts the browser; `CHROMIUM_PATH` overrides. */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ??
  "/usr/bin/chromium";

/** Raised when no Chromium is installed where tests look for it. */
export class ChromiumMissingError extends Error {
  /** @param path where it was looked for */
  constructor(path: string) {
    super(
      `no Chromium at ${path}: install it with "apt-get install -y chromium" ` +
        `(.ci/run does) or set CHROMIUM_PATH`,
    );
    this.name = "ChromiumMissingError";
  }
}

/**
 * Launches headless Chromium. Throws {@linkcode ChromiumMissingError} when
 * it is not installed: CI installs it, so a missing browser is a failure,
 * not a skip.
 *
 * @example
 * ```ts ignore
 * await using browser = await launchChromium();
 * const page = await browser.newPage();
 * ```
 */
export async function launchChromium(): Promise<
  Browser & AsyncDisposable
> {
  try {
    await Deno.stat(CHROMIUM_PATH);
  } catch {
    throw new ChromiumMissingError(CHROMIUM_PATH);
  }
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
    ],
    defaultViewport: { width: 1280, height: 720 },
    timeout: 30_000,
  });
  return Object.assign(browser, {
    [Symbol.asyncDispose]: () => browser.close(),
  });
}
