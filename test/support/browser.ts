/**
 * Debian's Chromium for the browser tests, driven by playwright-core (never a downloaded browser).
 * CI installs it; elsewhere the tests run where it is installed and are skipped, saying why, where not.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** The `skip` of a browser test: false where Chromium is (or under CI, which must have it), else why. */
export const skipWithoutChromium: string | false =
  !existsSync(CHROMIUM) && !process.env.CI ? 'needs Debian chromium (apt-get install -y chromium)' : false;

/** Headless, quiet (nothing of its own on the network), on a machine without a GPU. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
