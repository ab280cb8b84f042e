// Loaded first by the CSP pages (a classic script from a file: no inline script). Records
// every CSP violation and script error of the page, and runs the check that csp-module.mjs
// or csp-classic.js hands a class to. The runner awaits window.__csp.done.
(function () {
  var finish;
  var csp = {
    violations: [],
    errors: [],
    done: new Promise(function (resolve) { finish = resolve; }),
    finish: function (result) { finish(result); },
  };
  var waiting = [];
  window.__csp = csp;
  document.addEventListener('securitypolicyviolation', function (e) {
    csp.violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample, disposition: e.disposition });
    waiting.splice(0).forEach(function (resolve) { resolve(true); });
  }, true);

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  /** Resolves true when there are more than `n` violations, false after `ms`. */
  csp.violationAfter = function (n, ms) {
    if (csp.violations.length > n) return Promise.resolve(true);
    return Promise.race([new Promise(function (r) { waiting.push(r); }), sleep(ms).then(function () { return false; })]);
  };
  window.addEventListener('error', function (e) { csp.errors.push(String(e.message)); });

  /** A source opens and receives two events, or fails; then: no violation came (a fixed
   *  wait shows that none arrives late), and eval is refused with a violation (the policy
   *  is in force and the listener hears it). */
  csp.run = async function (ES) {
    var es = new ES('/basic');
    var log = [];
    await Promise.race([
      new Promise(function (resolve) {
        es.onopen = function () { log.push('open'); };
        es.onmessage = function (e) { log.push(['message', e.data]); if (e.data === 'two') resolve(); };
        es.onerror = function (e) { log.push(['error', es.readyState, e.reason === undefined ? null : e.reason]); if (es.readyState === 2) resolve(); };
      }),
      sleep(10000).then(function () { log.push('timeout'); }),
    ]);
    es.close();
    await sleep(300);
    var violations = csp.violations.slice();
    var evalResult;
    try { (0, eval)('1'); evalResult = 'allowed'; } catch (e) { evalResult = e.name; }
    await csp.violationAfter(violations.length, 3000);
    return { log: log, violations: violations, evalResult: evalResult, evalViolation: csp.violations.slice(violations.length) };
  };
})();
