// Imported first by sw-install.js: the service worker behaves as one whose
// runtime has no EventSource, so that the polyfill entry installs ours.
delete globalThis.EventSource;
