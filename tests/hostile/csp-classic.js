// The classic script under the page's CSP (it compiles its inlined wasm asynchronously, as
// the ES entry does: without 'wasm-unsafe-eval' its sources fail).
(() => {
  var csp = window.__csp;
  if (typeof EventSourceWasm === 'undefined') {
    // It threw while loading: nothing was installed. (The violation report is queued as a
    // task: wait for it, up to 3 s.)
    csp.finish(csp.violationAfter(0, 3000).then(() => ({ loaded: false, violations: csp.violations.slice(), errors: csp.errors.slice() })));
  } else {
    csp.finish(
      csp.run(EventSourceWasm.EventSource).then((r) => {
        r.loaded = true;
        return r;
      }),
    );
  }
})();
