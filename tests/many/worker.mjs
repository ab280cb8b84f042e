// The dedicated module worker of tests/many/run.mjs: holds one set of sources (sources.mjs)
// and answers the page's calls { id, op, args } with { id, value } or { id, error }.
import { implementation, sourceSet } from './sources.mjs';

let set = null;
self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    let value;
    if (op === 'start') {
      const [impl, urls] = args;
      set = sourceSet(await implementation(impl), urls);
    } else {
      value = await set[op](...args);
    }
    self.postMessage({ id, value });
  } catch (e) {
    self.postMessage({ id, error: `${e?.name}: ${e?.message}` });
  }
};
