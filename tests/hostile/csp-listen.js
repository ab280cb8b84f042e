// Loaded first by the CSP pages (a classic script from a file: no inline script). Records
// every CSP violation and script error of the page, and runs the check that csp-module.mjs
// or csp-classic.js hands a class to. The runner awaits window.__csp.done.
(() => {
  var finish;
  var csp = {
    violations: [],
    errors: [],
    done: new Promise((resolve) => {
      finish = resolve;
    }),
    finish: (result) => {
      finish(result);
    },
  };
  var waiting = [];
  window.__csp = csp;
  document.addEventListener(
    'securitypolicyviolation',
    (e) => {
      csp.violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample, disposition: e.disposition });
      waiting.splice(0).forEach((resolve) => {
        resolve(true);
      });
    },
    true,
  );

  function sleep(ms) {
    return new Promise((r) => {
      setTimeout(r, ms);
    });
  }

  /** Resolves true when there are more than `n` violations, false after `ms`. */
  csp.violationAfter = (n, ms) => {
    if (csp.violations.length > n) return Promise.resolve(true);
    return Promise.race([
      new Promise((r) => {
        waiting.push(r);
      }),
      sleep(ms).then(() => false),
    ]);
  };
  window.addEventListener('error', (e) => {
    csp.errors.push(String(e.message));
  });

  /** A source opens and receives two events, or fails; then: no violation came (a fixed
   *  wait shows that none arrives late), and eval is refused with a violation (the policy
   *  is in force and the listener hears it). */
  csp.run = async (ES) => {
    var es = new ES('/basic');
    var log = [];
    await Promise.race([
      new Promise((resolve) => {
        es.onopen = () => {
          log.push('open');
        };
        es.onmessage = (e) => {
          log.push(['message', e.data]);
          if (e.data === 'two') resolve();
        };
        es.onerror = (e) => {
          log.push(['error', es.readyState, e.reason === undefined ? null : e.reason]);
          if (es.readyState === 2) resolve();
        };
      }),
      sleep(10000).then(() => {
        log.push('timeout');
      }),
    ]);
    es.close();
    await sleep(300);
    var violations = csp.violations.slice();
    var evalResult;
    try {
      // biome-ignore lint/security/noGlobalEval: the test is whether the page's CSP forbids eval.
      // biome-ignore lint/complexity/noCommaOperator: an indirect eval, in global scope.
      (0, eval)('1');
      evalResult = 'allowed';
    } catch (e) {
      evalResult = e.name;
    }
    await csp.violationAfter(violations.length, 3000);
    return { log: log, violations: violations, evalResult: evalResult, evalViolation: csp.violations.slice(violations.length) };
  };
})();
