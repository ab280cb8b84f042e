// Dedicated module worker for the 'worker:' test: constructs an EventSource of the
// implementation under test with a URL relative to this script, and reports back.
self.onmessage = async ({ data: { impl, url } }) => {
  try {
    const ES = impl === 'native' ? self.EventSource : (await import('/dist/index.js')).EventSource;
    const es = new ES(url);
    const log = [];
    es.onopen = () => log.push(`open:${es.readyState}`);
    es.onmessage = (e) => {
      log.push(`message:${e.data}:${es.readyState}`);
      es.close();
      self.postMessage({ url: es.url, log, origin: e.origin });
    };
    es.onerror = () => {
      log.push(`error:${es.readyState}`);
      if (es.readyState === 2) self.postMessage({ url: es.url, log, origin: null });
    };
  } catch (e) {
    self.postMessage({ error: `${e?.name}: ${e?.message}` });
  }
};
