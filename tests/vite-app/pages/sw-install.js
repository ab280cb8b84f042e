// sw.js in a service worker without a native EventSource (module imports are
// evaluated in order: no-native.js runs before the polyfill entry).
import './no-native.js';
import './sw.js';
