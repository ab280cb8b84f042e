// webpack 5, no plugins: `new URL('./x.wasm', import.meta.url)` in the
// package becomes an emitted asset.
import path from 'node:path';

export default {
  mode: 'production',
  context: import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname),
  entry: './main.js',
  output: {
    path: path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), 'dist-webpack'),
    filename: 'main.js',
    clean: true,
  },
  devtool: false,
  performance: { hints: false },
  stats: 'errors-warnings',
};
