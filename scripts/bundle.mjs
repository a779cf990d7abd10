// Builds what `bin/otlpctl.js` runs: the CLI (tsc's dist/cli.js) as one CommonJS file, and V8's
// code cache for it. Why: start-up is measured against `node -e 0` (PRODUCT.md §10, ≤ 1.3×);
// resolving and compiling ~60 ES modules cost more than that allows. The library (dist/index.js)
// stays plain tsc output. Run by `npm run build`, after tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const { BUNDLE, CACHE } = require('../bin/load.js');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// Bundled: commander (on every path; its typings package is aliased to it below), valibot (the config check is on
// locate's path; tree-shaken to the checks src/ uses) and the protobuf runtime of the etcd client
// (@bufbuild/protobuf/wire, what the ts-proto code in src/store/etcd/gen/ imports: resolving its
// files from node_modules would cost more than compiling it from the code cache; it runs only with
// --endpoints). The rest load lazily from node_modules when a command
// needs them (chalk/ora only on a terminal).
const BUNDLED = ['commander', '@commander-js/extra-typings', 'valibot', '@bufbuild/protobuf'];
const external = Object.keys(pkg.dependencies).filter((name) => !BUNDLED.includes(name));

// commander requires node:child_process at load, for executable subcommands otlpctl does not have;
// loading it (with net and dgram) is a few ms of every start-up, so it is loaded on first use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('/node_modules/commander/')
        ? { path: 'lazy', namespace: 'lazy-child-process' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents:
        "let cp; module.exports = new Proxy({}, { get: (_, k) => (cp ??= require('node:child_process'))[k] });",
      loader: 'js',
    }));
  },
};

// valibot's emoji pattern (Unicode property escapes) is a regex literal esbuild rewrites as
// `new RegExp(…)` for node20, which it must then keep: every start-up built it from ICU's tables
// (~1 M instructions), for a check otlpctl never makes. The same RegExp, marked pure, is dropped.
const pureValibotRegExps = {
  name: 'pure-valibot-regexps',
  setup(b) {
    b.onLoad({ filter: /[\\/]valibot[\\/]dist[\\/]index\.mjs$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(
        /^const (\w+) = \/(.*\\p\{.*)\/(\w*);$/gm,
        (_, name, source, flags) =>
          `const ${name} = /* @__PURE__ */ new RegExp(${JSON.stringify(source)}, ${JSON.stringify(flags)});`,
      ),
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: [join(root, 'dist/cli.js')],
  outfile: BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external,
  // extra-typings is commander's types; its runtime only re-exports commander (and makes a spare
  // Command at load): the bundle takes commander itself.
  alias: { '@commander-js/extra-typings': 'commander' },
  // format.ts finds chalk/cli-table3 with createRequire(import.meta.url); in the bundle that is
  // the bundle's own URL (dist/, beside the modules it replaces).
  define: { 'import.meta.url': '__bundle_url' },
  // Wrapped as CommonJS wraps a module, so bin/load.js compiles the file as it is.
  banner: {
    js: "(function (exports, require, module, __filename, __dirname) {const __bundle_url = require('node:url').pathToFileURL(__filename).href;",
  },
  footer: { js: '\n})' },
  charset: 'ascii',
  logLevel: 'warning',
  // Whitespace and syntax only: less to read and compile at start-up, while `--debug` stack
  // traces keep the functions' own names.
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [lazyChildProcess, pureValibotRegExps],
});

// bin/load.js runs the bundle in a vm.Script, where import() has no loader once the code cache is
// used ("A dynamic import callback was not specified"): packages outside it must be required.
const bundled = readFileSync(BUNDLE, 'latin1');
const dynamicImport = /\bimport\(\s*["'`]/.exec(bundled);
if (dynamicImport)
  throw new Error(`${BUNDLE}: an import() is left (${dynamicImport[0]}…): load the package with require`);
// bin/load.js reads the bundle as latin1, one byte per character.
const nonAscii = /[\u0080-\u00ff]/.exec(bundled);
if (nonAscii) throw new Error(`${BUNDLE}: non-ASCII at byte ${nonAscii.index}: write it as a \\u escape`);

// The cache holds what was compiled by the time it is made, so run the commands whose start-up
// is measured first: functions compiled then need no compiling at run time. The demo store they
// read is made by another process: demo's own code in the cache would be read by every start-up
// and used by none that is measured. `locate` on etcd runs against a port where nothing listens:
// loading the etcd client and the protobuf runtime and encoding a request is most of what it
// compiles, and the cache then spares a cold `locate --endpoints` that (~4% of its instructions).
rmSync(CACHE, { force: true });
const { exports: cli, script } = require('../bin/load.js').loadBundle();
const dir = mkdtempSync(join(tmpdir(), 'otlpctl-bundle-'));
try {
  const store = join(dir, 'demo.json');
  execFileSync(process.execPath, [join(root, 'bin/otlpctl.js'), 'demo', '--file', store, '-q']);
  const locate = ['locate', '4bf92f3577b34da6a3ce929d0e0e4736', '--at', 'now-1h'];
  // [arguments, the exit code expected]
  const warmUps = [
    [['--version'], 0],
    [['--help'], 0],
    [['completion', 'bash'], 0],
    [['--file', store, '__ids', 'nodes'], 0],
    [['--file', store, ...locate, '-o', 'json'], 0],
    [['--file', store, ...locate, '-o', 'tsv'], 0],
    [['--endpoints', '127.0.0.1:1', '--dial-timeout', '100ms', ...locate, '-o', 'json'], 1],
  ];
  for (const [args, expected] of warmUps) {
    const out = new PassThrough();
    out.resume();
    const code = await cli.run(['node', 'otlpctl', ...args], {
      stdout: out,
      stderr: out,
      stdin: new PassThrough(),
      env: {},
      clock: Date.now,
    });
    if (code !== expected) throw new Error(`warm-up 'otlpctl ${args.join(' ')}' exited ${code}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
writeFileSync(CACHE, script.createCachedData());
