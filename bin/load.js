'use strict';
// CommonJS on purpose (see bin/package.json): starting Node's ESM loader costs about 10 ms, a
// tenth of `node -e 0`, and PRODUCT.md §10 allows a command 0.3× of it in all. The CLI is one
// bundle (scripts/bundle.mjs) compiled with V8's code cache, made at build time, so start-up
// neither resolves ~60 modules nor parses 450 kB of JavaScript.
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const BUNDLE = join(__dirname, '..', 'dist', 'otlpctl.cjs');
const CACHE = `${BUNDLE}.cache`;

/**
 * Evaluates the bundle and returns its exports plus the compiled script (the build uses it to
 * write the code cache). A missing or stale cache (another Node version) only costs the compile.
 */
function loadBundle() {
  let cachedData;
  try {
    cachedData = readFileSync(CACHE);
  } catch {
    // no cache yet: compile from source
  }
  // The bundle is ASCII and already wrapped as a CommonJS module function (scripts/bundle.mjs):
  // read as latin1 it is one byte per character and is not copied again.
  const source = readFileSync(BUNDLE, 'latin1');
  // No import() may be left in the bundle (scripts/bundle.mjs checks): a vm.Script compiled from a
  // code cache has no loader for it. Packages outside the bundle are loaded with require.
  const script = new vm.Script(source, { filename: BUNDLE, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
  return { exports: module.exports, script, cacheRejected: script.cachedDataRejected === true };
}

module.exports = { loadBundle, BUNDLE, CACHE };
