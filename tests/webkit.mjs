// WebKit (Safari's engine) for the test runners: WebKitGTK's MiniBrowser driven through
// WebKitWebDriver (W3C WebDriver over HTTP, Debian's webkit2gtk-driver) on a private Xvfb
// display (MiniBrowser has no headless mode). puppeteer and playwright cannot drive this
// WebKit; this is a small W3C WebDriver client, nothing is downloaded.
//
//   const { browser, close } = await launch('webkit');   // browsers.mjs; here launchWebKit({ acceptInsecureCerts })
//   const page = await browser.newPage();   // a top-level window of the one WebDriver session
//   await page.goto(url);                   // waits for `load`
//   await page.evaluate((a, b) => …, a, b); // execute/async: a promise is awaited; JSON-able values
//   await page.waitForFunction(() => …, { timeout });
//   await page.close();
//
// What puppeteer offers and WebDriver does not: page.exposeFunction, network conditions
// (offline), a forced GC, the page's console (page.on() accepts listeners that never fire).
// Runners check `browser.webdriver` (true here) and treat those as not applicable.
//
// Off the network: MiniBrowser's --proxy sends everything but loopback to a dead proxy
// (127.0.0.1:9), so no name is resolved by the browser, and DNS prefetching is off.
// Pages are driven one at a time (each command switches to its page's window first).
// close() ends the session (the driver closes MiniBrowser and its processes), then the
// driver and Xvfb; whatever hangs is killed with its process group.
//
// Override the binaries with E2E_WEBKIT (MiniBrowser), E2E_WEBKIT_DRIVER, E2E_XVFB.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { killGroup, scaled, withTimeout } from './runner.mjs';

export const WEBKIT = {
  browser: process.env.E2E_WEBKIT ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  driver: process.env.E2E_WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver',
  xvfb: process.env.E2E_XVFB ?? '/usr/bin/Xvfb',
};

/** The W3C WebDriver capabilities for MiniBrowser. (wasm-bindgen-test-runner sends none to a
 *  SAFARIDRIVER: WebKitWebDriver then starts MiniBrowser with its defaults.) */
export function webkitCapabilities({ acceptInsecureCerts = false } = {}) {
  return {
    browserName: 'MiniBrowser',
    acceptInsecureCerts,
    pageLoadStrategy: 'normal',
    'webkitgtk:browserOptions': {
      binary: WEBKIT.browser,
      args: [
        '--automation',
        '--enable-dns-prefetching=false',
        '--enable-page-cache=false',
        // Off the network: everything but loopback goes to a dead proxy. (MiniBrowser's own
        // options: with the W3C `proxy` capability instead, about one session in eight
        // never started here.)
        '--proxy=http://127.0.0.1:9',
        '--ignore-host=127.0.0.1',
        '--ignore-host=localhost',
      ],
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every Xvfb and driver started and not yet ended: killed with their process groups if the
// runner exits without closing them (a crash, process.exit() during a launch).
const live = new Set();
process.once('exit', () => {
  for (const p of live) {
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});
/** spawn(), detached (its own process group), tracked in `live` until it exits. */
function start(cmd, args, opts) {
  const proc = spawn(cmd, args, { ...opts, detached: true });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  proc.once('error', () => live.delete(proc));
  return proc;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Ends `proc` (a detached child, leader of its process group): SIGTERM, then SIGKILL to
 *  the whole group after `graceMs`. Resolves once it has exited. */
async function stop(proc, graceMs) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  try {
    proc.kill('SIGTERM');
  } catch {
    /* gone */
  }
  if (await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)])) return;
  killGroup(proc);
  await Promise.race([exited, sleep(2000)]);
}

/** Xvfb on the first free display (-displayfd): { proc, display }. */
async function startXvfb() {
  const proc = start(WEBKIT.xvfb, ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-2000);
  });
  try {
    const display = await withTimeout(
      new Promise((resolve, reject) => {
        let out = '';
        proc.stdio[3].on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(out.trim());
        });
        proc.once('error', reject);
        proc.once('exit', (code, sig) => reject(new Error(`Xvfb exited (${code ?? sig}): ${stderr.trim()}`)));
      }),
      10000,
      'starting Xvfb',
    );
    return { proc, display: `:${display}` };
  } catch (e) {
    await stop(proc, 1000);
    throw e;
  }
}

/** A W3C WebDriver error as an Error (`.webdriver` is the error code). */
class WebDriverError extends Error {
  constructor(what, value) {
    super(`${what}: ${value?.error ?? 'error'}${value?.message ? `: ${value.message}` : ''}`);
    this.webdriver = value?.error;
  }
}

/** Launches Xvfb, WebKitWebDriver and one session of MiniBrowser. Returns { browser, close }. */
export async function launchWebKit({ acceptInsecureCerts = false } = {}) {
  const procs = [];
  let session = null;
  let base = '';
  // `ms`: the limit on a quiet machine (withTimeout scales it); Infinity: none.
  const call = async (method, p, body, ms = 60000) => {
    const res = await withTimeout(
      fetch(`${base}${p}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      ms,
      `WebDriver ${method} ${p}`,
    );
    const json = await res.json();
    if (!res.ok) {
      throw new WebDriverError(`WebDriver ${method} ${p.replace(/\/session\/[^/]+/, '/session/…')}`, json.value);
    }
    return json.value;
  };
  let closing = null;
  const close = () =>
    (closing ??= (async () => {
      if (session) {
        try {
          await call('DELETE', `/session/${session}`, undefined, 10000);
        } catch {
          /* killed below */
        }
        session = null;
      }
      for (const p of procs.splice(0).reverse()) await stop(p, scaled(5000));
    })());

  try {
    const xvfb = await startXvfb();
    procs.push(xvfb.proc);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const driver = start(WEBKIT.driver, [`--port=${port}`, '--host=local'], {
      env: { ...process.env, DISPLAY: xvfb.display },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    procs.push(driver);
    let driverErr = '';
    driver.stderr.on('data', (d) => {
      driverErr = (driverErr + d).slice(-4000);
    });
    const driverGone = new Promise((_, reject) => {
      driver.once('error', reject);
      driver.once('exit', (code, sig) => reject(new Error(`WebKitWebDriver exited (${code ?? sig}): ${driverErr.trim()}`)));
    });
    driverGone.catch(() => {});
    // Ready once /status answers.
    await withTimeout(
      Promise.race([
        driverGone,
        (async () => {
          for (;;) {
            try {
              if ((await call('GET', '/status', undefined, 2000)).ready !== undefined) return;
            } catch {
              /* not yet */
            }
            await sleep(50);
          }
        })(),
      ]),
      10000,
      'starting WebKitWebDriver',
    );
    // (The three steps stay within the 60 s a runner gives a launch, times TEST_TIME_SCALE.)
    const created = await Promise.race([
      driverGone,
      call(
        'POST',
        '/session',
        {
          capabilities: { alwaysMatch: webkitCapabilities({ acceptInsecureCerts }) },
        },
        30000,
      ).catch((e) => {
        throw new Error(`${e.message}${driverErr.trim() ? `; WebKitWebDriver said: ${driverErr.trim().slice(-600)}` : ''}`);
      }),
    ]);
    session = created.sessionId;
    const caps = created.capabilities;
    const S = `/session/${session}`;
    // No script time limit of the driver's own: the runners bound every evaluate themselves
    // (a page stuck in one is closed, which ends the script).
    await call('POST', `${S}/timeouts`, { script: null, pageLoad: scaled(60000) });
    // The session's first window stays on about:blank: closing a page never closes the
    // last window (which would end the session).
    const home = await call('GET', `${S}/window`);
    let current = home;
    const focus = async (handle) => {
      if (current === handle) return;
      await call('POST', `${S}/window`, { handle });
      current = handle;
    };

    const browser = {
      webdriver: true,
      capabilities: caps,
      async version() {
        return `${caps.browserName}/${caps.browserVersion} (WebKitGTK)`;
      },
      process: () => driver,
      close,
      async newPage() {
        const { handle } = await call('POST', `${S}/window/new`, { type: 'window' });
        await focus(handle);
        return makePage(handle);
      },
    };

    /** Runs `source` (a function body using `arguments`) in the page: execute/async. */
    const run = async (handle, script, args, ms) => {
      await focus(handle);
      return call('POST', `${S}/execute/async`, { script, args }, ms);
    };
    const makePage = (handle) => {
      let closed = false;
      const page = {
        handle,
        on() {
          return page;
        }, // no console or page errors over WebDriver
        async goto(url) {
          if (closed) throw new Error('page closed');
          await focus(handle);
          await call('POST', `${S}/url`, { url });
        },
        /** fn(...args) in the page; a promise is awaited; the value must be JSON-able. */
        async evaluate(fn, ...args) {
          if (closed) throw new Error('page closed');
          const r = await run(
            handle,
            `const done = arguments[arguments.length - 1];
            const args = Array.prototype.slice.call(arguments, 0, -1);
            Promise.resolve().then(() => (${fn})(...args)).then(
              (value) => done({ ok: true, value: value === undefined ? null : value }),
              (e) => done({ ok: false, error: String(e && e.stack ? \`\${e}\\n\${e.stack}\` : e) }));`,
            args,
            Infinity,
          );
          if (!r?.ok) throw new Error(`Evaluation failed: ${r?.error ?? 'no result'}`);
          return r.value;
        },
        /** Resolves once fn() is truthy in the page (checked every 20 ms). */
        async waitForFunction(fn, { timeout = scaled(30000) } = {}) {
          if (closed) throw new Error('page closed');
          const r = await run(
            handle,
            `const done = arguments[0];
            const until = Date.now() + ${Number(timeout)};
            const poll = () => { let v; try { v = (${fn})(); } catch { v = false; }
              if (v) done(true); else if (Date.now() > until) done(false); else setTimeout(poll, 20); };
            poll();`,
            [],
            timeout + 10000,
          ); // a guard over the page's own `until`
          if (r !== true) throw new Error(`waitForFunction: not true within ${timeout} ms`);
        },
        async close() {
          if (closed) return;
          closed = true;
          // Closing the window ends whatever script is pending in it.
          await focus(handle);
          await call('DELETE', `${S}/window`, undefined, 10000);
          current = null;
          await focus(home);
        },
      };
      return page;
    };
    return { browser, close };
  } catch (e) {
    await close();
    throw e;
  }
}
