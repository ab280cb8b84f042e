// How every test runner launches the Debian browsers (puppeteer-core: CDP for
// Chromium, WebDriver BiDi for Firefox): headless, a fresh profile, kept off
// the network (only loopback answers), and never downloading anything.
//
//   const { browser, close } = await launch('firefox', { prefix: 'e2e' });
//   launch('chromium', { acceptInsecureCerts: true })  // a test's self-signed TLS certificate
//   processTree(browser.process().pid)                 // its pids, for /proc figures (memory, CPU)
//
//   launch('webkit')                                   // WebKitGTK MiniBrowser over W3C WebDriver (webkit.mjs)
//
// Override the binaries with E2E_CHROMIUM / E2E_FIREFOX / E2E_WEBKIT (and E2E_WEBKIT_DRIVER, E2E_XVFB).
import fs from 'node:fs';
import { falseAlarms, killGroup, scaled, tempDir } from './runner.mjs';
import { WEBKIT, launchWebKit } from './webkit.mjs';

// puppeteer-core never downloads a browser; this keeps any puppeteer a runner loads from trying.
process.env.PUPPETEER_SKIP_DOWNLOAD = '1';
process.env.PUPPETEER_SKIP_CHROME_DOWNLOAD = '1';

export const EXECUTABLES = {
  chromium: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
  firefox: process.env.E2E_FIREFOX ?? '/usr/bin/firefox-esr',
  // WebKit (Safari's engine): WebKitGTK's MiniBrowser through WebKitWebDriver under Xvfb (webkit.mjs)
  webkit: WEBKIT.browser,
};

/**
 * puppeteer.launch() options for `name` ('chromium' or 'firefox') with the profile `userDataDir`.
 * `acceptInsecureCerts` (default false): accept any TLS certificate, for a test server's
 * self-signed one (puppeteer's option: CDP Security.setIgnoreCertificateErrors in Chromium,
 * the WebDriver BiDi session capability in Firefox).
 */
export function launchOptions(name, userDataDir, { acceptInsecureCerts = false } = {}) {
  const common = { executablePath: EXECUTABLES[name], headless: true, userDataDir, protocolTimeout: scaled(60000) };
  if (acceptInsecureCerts) common.acceptInsecureCerts = true;
  if (name === 'chromium') {
    return {
      ...common,
      browser: 'chrome',
      args: [
        // As root, Chromium needs --no-sandbox; the rest keeps it from calling home.
        '--no-sandbox',
        '--headless=new',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        // Off the network: no name resolves, and anything not on loopback goes to a dead proxy.
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
        '--proxy-server=http://127.0.0.1:9',
      ],
    };
  }
  if (name === 'firefox') {
    return {
      ...common,
      browser: 'firefox',
      extraPrefsFirefox: {
        // Off the network: everything but loopback goes to a dead proxy; no DNS prefetch,
        // no DoH, no captive-portal or connectivity probes, no telemetry or updates.
        'network.proxy.type': 1,
        'network.proxy.http': '127.0.0.1',
        'network.proxy.http_port': 9,
        'network.proxy.ssl': '127.0.0.1',
        'network.proxy.ssl_port': 9,
        'network.proxy.no_proxies_on': '127.0.0.1,localhost',
        'network.proxy.allow_hijacking_localhost': false,
        'network.dns.disablePrefetch': true,
        'network.prefetch-next': false,
        'network.trr.mode': 5,
        'network.captive-portal-service.enabled': false,
        'network.connectivity-service.enabled': false,
        'toolkit.telemetry.enabled': false,
        'toolkit.telemetry.server': '',
        'app.update.auto': false,
        'app.update.enabled': false,
        'browser.shell.checkDefaultBrowser': false,
        'browser.region.update.enabled': false,
        'browser.region.network.url': '',
        'extensions.blocklist.enabled': false,
        'browser.safebrowsing.provider.mozilla.updateURL': '',
        'browser.safebrowsing.provider.google4.updateURL': '',
        'browser.topsites.contile.enabled': false,
      },
    };
  }
  throw new Error(`unknown browser ${name}`);
}

/**
 * Launches `name` with a fresh temporary profile; `close()` ends it (killing it if it hangs) and
 * removes the profile. What our diagnostics say in the console of its pages and workers goes
 * to `falseAlarms` (runner.mjs), unless `warnings` is true (the suite that tests them) or a
 * RegExp that the line matches (a warning the suite's servers are right to raise).
 */
export async function launch(name, { prefix = 'test', acceptInsecureCerts = false, warnings = false } = {}) {
  // WebKit: a W3C WebDriver adapter with a page-like object (no profile directory: the
  // automation session is ephemeral). `browser.webdriver` is true: see webkit.mjs for what
  // it cannot do (exposeFunction, offline emulation, a forced GC, console).
  if (name === 'webkit') return launchWebKit({ acceptInsecureCerts });
  const puppeteer = (await import('puppeteer-core')).default;
  const dir = tempDir(`${prefix}-${name}-`);
  let browser;
  try {
    browser = await puppeteer.launch(launchOptions(name, dir, { acceptInsecureCerts }));
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  if (warnings !== true) {
    const listen = (target) =>
      target.on('console', (message) => {
        const text = message.text();
        if (!text.startsWith('eventsource-wasm:') || !message.type().startsWith('warn') || warnings?.test?.(text)) return;
        falseAlarms.push(`${name}: ${text}`);
      });
    const watch = async (target) => {
      const page = await target.page().catch(() => null);
      const worker = page ? null : await target.worker?.().catch(() => null);
      if (page ?? worker) listen(page ?? worker);
    };
    browser.on('targetcreated', watch);
    for (const target of browser.targets()) watch(target);
  }
  const close = async () => {
    const proc = browser.process();
    try {
      await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]);
    } catch {
      /* killed below */
    }
    if (proc && proc.exitCode === null && proc.signalCode === null) killGroup(proc);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { browser, close };
}

/** The pids of process `root` and of all its descendants (a browser's whole process tree), from /proc (Linux). */
export function processTree(root) {
  const children = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {
      /* gone */
    }
  }
  const pids = [];
  for (const todo = [root]; todo.length; ) {
    const pid = todo.pop();
    pids.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return pids;
}
