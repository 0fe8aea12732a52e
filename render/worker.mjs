// widget2code compile worker: TSX -> {js, css}, one JSON object per line on stdin/stdout.
//
// Request:  {"id": 1, "source": "<tsx>", "profile": "default"}
//           {"id": 2, "op": "vendor", "dev": false}      the React runtime every page loads first
//           {"id": 3, "op": "library", "name": "recharts"} a prebuilt library bundle, loaded by the pages that need it
//           {"id": 4, "op": "prepare"}                    build the cached bundles now (also `node worker.mjs --prepare`)
// Response: {"id": 1, "ok": true, "js": "...", "css": "...", "component": "default", "libraries": ["recharts"],
//            "ms": {"esbuild": 9.1, "tailwind": 12.3}}
//           {"id": 1, "ok": false, "error_kind": "syntax" | "import" | "no_component", "message": "..."}
//
// The worker only compiles: it never runs the widget, so untrusted source cannot do anything here.
// It is long-lived so the cost of starting Node, esbuild and Tailwind is paid once, not per render; one
// esbuild context per import profile keeps the libraries' parsed files between widgets.
//
// How each library reaches the page (measured: moving a 700 kB bundle into a page costs ~160 ms per render):
// - lucide-react and react-icons/* are tree-shaken into the widget's own JS (a few kB per icon set used);
// - recharts, echarts and echarts-for-react are too big to bundle per widget: each is prebuilt once and loaded
//   by Chromium into the pages of a separate warm pool, so only widgets that use it pay for it;
// - a profile's globals (the official Widget2Code renderer's `Recharts.AreaChart`, `<ReactECharts>`, with no
//   import) are imports the worker adds for the free names a widget uses.
// - shadcn components (render/shadcn) are compiled into the widget like its own code.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { compile as compileTailwind } from "tailwindcss";
import { Scanner } from "@tailwindcss/oxide";

const HERE = dirname(fileURLToPath(import.meta.url));
const TAILWIND_DIR = join(HERE, "node_modules", "tailwindcss");
const SHADCN_DIR = join(HERE, "shadcn");
const PROFILES = JSON.parse(readFileSync(join(HERE, "profiles.json"), "utf8"));
const require = createRequire(import.meta.url);

// Prebuilt artefacts live in node_modules (so `npm ci` clears them), keyed by what decides their bytes:
// the locked packages and how they are built (bump BUNDLE_FORMAT when changing buildLucide or library).
const BUNDLE_FORMAT = "2";
const CACHE_KEY = createHash("sha256")
  .update(readFileSync(join(HERE, "package-lock.json")))
  .update(BUNDLE_FORMAT)
  .digest("hex")
  .slice(0, 16);
const CACHE_DIR = join(HERE, "node_modules", ".cache", "widget2code");
const LUCIDE_FILE = join(CACHE_DIR, `lucide-react.${CACHE_KEY}.mjs`);
// Libraries served as prebuilt page bundles (window.__W2C_LIB__[name]) rather than bundled per widget, in the
// order a page loads them; a library's page bundle reaches the ones it needs (NEEDS) as globals.
const PAGE_LIBRARIES = ["recharts", "tailwind-merge", "echarts", "echarts-for-react"];
const NEEDS = { "echarts-for-react": ["echarts"] };

// Fonts decide pixels: map Tailwind's font stacks to fonts the setup installs, so renders are the
// same on every machine that ran `make setup`, whatever else is installed.
const BASE_CSS = `@import "tailwindcss";
@theme {
  --font-sans: "Liberation Sans", "DejaVu Sans", "Noto Color Emoji", sans-serif;
  --font-serif: "Liberation Serif", "DejaVu Serif", "Noto Color Emoji", serif;
  --font-mono: "Liberation Mono", "DejaVu Sans Mono", monospace;
}`;
const THEMES = { shadcn: readFileSync(join(SHADCN_DIR, "theme.css"), "utf8") };

// -- cached artefacts --------------------------------------------------------------------------------

function writeAtomic(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

const REACT_GLOBALS = {
  react: "window.__W2C_VENDOR__.React",
  "react-dom": "window.__W2C_VENDOR__.ReactDOM",
  "react-dom/client": "window.__W2C_VENDOR__.ReactDOMClient",
  "react/jsx-runtime": "window.__W2C_VENDOR__.jsxRuntime",
  "react/jsx-dev-runtime": "window.__W2C_VENDOR__.jsxRuntime",
};
// Library code must share the page's single React.
const reactAsGlobal = {
  name: "w2c-react-global",
  setup(build) {
    build.onResolve({ filter: /^react(-dom)?(\/.*)?$/ }, (args) =>
      Object.hasOwn(REACT_GLOBALS, args.path) ? { path: args.path, namespace: "w2c-global" } : undefined);
    build.onLoad({ filter: /.*/, namespace: "w2c-global" }, (args) => ({
      contents: `module.exports = ${REACT_GLOBALS[args.path]};`,
      loader: "js",
    }));
  },
};

// One ESM file holding every lucide icon, each marked pure: esbuild then keeps only the icons a widget
// uses. Bundling lucide's own entry instead parses ~2,000 files per widget (about a second).
async function buildLucide() {
  const base = { bundle: true, write: false, format: "esm", logLevel: "silent", external: ["react"],
    legalComments: "none", absWorkingDir: HERE };
  const all = await esbuild.build({ ...base, metafile: true,
    stdin: { contents: 'export * from "lucide-react";', loader: "js", resolveDir: HERE } });
  // `icons` (every icon in one object) would keep them all; a widget can still `import * as`.
  const names = Object.values(all.metafile.outputs)[0].exports.filter((name) => name !== "icons");
  const named = await esbuild.build({ ...base,
    stdin: { contents: `export { ${names.join(", ")} } from "lucide-react";`, loader: "js", resolveDir: HERE } });
  const text = named.outputFiles[0].text.replace(/= createLucideIcon\(/g, "= /* @__PURE__ */ createLucideIcon(");
  writeAtomic(LUCIDE_FILE, text);
}

// The page libraries a library needs (their bundles are loaded before its own) as globals.
function neededAsGlobal(name) {
  const needs = NEEDS[name] ?? [];
  return {
    name: "w2c-needed-global",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => (needs.includes(args.path) ? { path: args.path, namespace: "w2c-lib" } : undefined));
      build.onLoad({ filter: /.*/, namespace: "w2c-lib" }, (args) => ({
        contents: `module.exports = window.__W2C_LIB__[${JSON.stringify(args.path)}];`, loader: "js" }));
    },
  };
}

// A library's page bundle, in the order pages load them, with the libraries it needs before it.
function withNeeds(names) {
  const wanted = new Set(names.flatMap((name) => [...(NEEDS[name] ?? []), name]));
  return PAGE_LIBRARIES.filter((name) => wanted.has(name));
}

const libraryCache = new Map();
async function library(name) {
  if (!PAGE_LIBRARIES.includes(name)) throw new Error(`'${name}' is not a page library`);
  if (libraryCache.has(name)) return libraryCache.get(name);
  const jsPath = join(CACHE_DIR, `${name}.${CACHE_KEY}.js`);
  const exportsPath = join(CACHE_DIR, `${name}.${CACHE_KEY}.json`);
  if (!existsSync(jsPath) || !existsSync(exportsPath)) {
    const plugins = [reactAsGlobal, neededAsGlobal(name)];
    const exportsOf = (contents) => esbuild.build({ stdin: { contents, loader: "js", resolveDir: HERE },
      bundle: true, write: false, format: "esm", metafile: true, logLevel: "silent", plugins })
      .then((built) => Object.values(built.metafile.outputs)[0].exports, () => []);
    // `export *` leaves the default export out: asked for apart (echarts-for-react's component is its default).
    const names = [...await exportsOf(`export * from "${name}";`), ...await exportsOf(`export { default } from "${name}";`)];
    const bundle = await esbuild.build({
      stdin: { contents: `import * as M from "${name}"; (window.__W2C_LIB__ ||= {})[${JSON.stringify(name)}] = M;`,
        loader: "js", resolveDir: HERE },
      bundle: true, write: false, format: "iife", minify: true, target: "es2020", logLevel: "silent",
      legalComments: "none", define: { "process.env.NODE_ENV": '"production"' }, plugins,
    });
    writeAtomic(exportsPath, JSON.stringify(names));
    writeAtomic(jsPath, bundle.outputFiles[0].text);
  }
  const entry = { js: readFileSync(jsPath, "utf8"), exports: JSON.parse(readFileSync(exportsPath, "utf8")) };
  libraryCache.set(name, entry);
  return entry;
}

// `prune`: also delete the artefacts of other package versions. Only `npm ci`/`npm install` (postinstall) prunes:
// a renderer starting after a lock change must not pull the bundles from under one still running.
async function prepare(prune = false) {
  mkdirSync(CACHE_DIR, { recursive: true });
  for (const file of prune ? readdirSync(CACHE_DIR) : []) {
    if (!file.includes(`.${CACHE_KEY}.`)) rmSync(join(CACHE_DIR, file), { force: true });
  }
  if (!existsSync(LUCIDE_FILE)) await buildLucide();
  for (const name of PAGE_LIBRARIES) await library(name);
  return { ok: true, cache: CACHE_DIR };
}

async function buildVendor(dev) {
  const result = await esbuild.build({
    stdin: {
      // The scheduler is react-dom's own instance: the page's clock asks it whether React has work queued.
      contents: `import * as React from "react"; import * as ReactDOM from "react-dom";
        import * as ReactDOMClient from "react-dom/client"; import * as jsxRuntime from "react/jsx-runtime";
        import * as Scheduler from "scheduler";
        window.__W2C_VENDOR__ = { React, ReactDOM, ReactDOMClient, jsxRuntime, Scheduler };`,
      loader: "js",
      resolveDir: HERE,
    },
    bundle: true,
    write: false,
    format: "iife",
    minify: !dev,
    define: { "process.env.NODE_ENV": dev ? '"development"' : '"production"' },
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

// -- the import contract -----------------------------------------------------------------------------

// A profile's module pattern: `*` stands for one path segment, a final `/*` for the rest of the path.
function modulePattern(pattern) {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replace(/\/\*$/, "/.+").replace(/\*/g, "[^/]+")}$`);
}
const ALLOWED = Object.fromEntries(Object.entries(PROFILES).map(([name, p]) => [name, p.modules.map(modulePattern)]));

function allows(profile, path) {
  if (path === "react/jsx-runtime" || path === "react/jsx-dev-runtime") return true;  // implied by JSX
  return ALLOWED[profile].some((pattern) => pattern.test(path));
}

function notAllowed(profile, path) {
  return `import of '${path}' is not allowed (the '${profile}' import profile allows ${PROFILES[profile].modules.join(", ")})`;
}

// shadcn code names its components by the app's path (`@/components/ui/card`) or, in shadcn's own registry,
// by the style's (`@/registry/new-york-v4/ui/card`, `@/styles/new-york/ui/card`): all are the bundled ones.
const SHADCN_UI_PATH = /^@\/(?:components|(?:registry|styles)\/[\w.-]+)\/ui\/([\w-]+)$/;
function shadcnPath(path) {
  const component = SHADCN_UI_PATH.exec(path)?.[1];
  const local = path === "@/lib/utils" ? "lib/utils.ts" : component ? `ui/${component}.tsx` : null;
  if (local === null) return null;
  const file = join(SHADCN_DIR, local);
  return existsSync(file) ? file : null;
}

const SHADCN_UI = readdirSync(join(SHADCN_DIR, "ui")).map((f) => f.replace(/\.tsx$/, "")).sort();
function noShadcnModule(path) {
  return `import of '${path}' is not allowed: no bundled shadcn module of that name (@/lib/utils and `
    + `@/components/ui/{${SHADCN_UI.join(",")}}, also as @/registry/<style>/ui/* and @/styles/<style>/ui/*)`;
}
const reactExports = Object.keys(require("react")).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k));

// An ESM face for a global, so a misspelt import is a compile error naming it, not `undefined` at run time.
// `defaultExport`: what `import X from` gives (React's default is the module itself), or null for none.
function globalModule(expression, names, defaultExport) {
  const lines = [`const m = ${expression};`];
  for (const name of names) if (name !== "default") lines.push(`export const ${name} = m.${name};`);
  if (defaultExport) lines.push(`export default ${defaultExport};`);
  return lines.join("\n");
}

// A profile's globals (profiles.json: name -> [module, "*" for the namespace or "default"]) are free names a
// widget may use without importing them. The outline pass marks the free uses (esbuild's `define` replaces only
// names the widget does not bind itself); for each, the bundle pass gets an import of the module under that name.
const GLOBAL_PREFIX = "w2c-global:";
const GLOBAL_MARK = "__w2c_global__";
function globalMarks(profile) {
  return Object.fromEntries(Object.keys(PROFILES[profile].globals ?? {}).map((name) => [name, GLOBAL_MARK + name]));
}
function withGlobals(text, profile, outlineCode) {
  const imports = Object.entries(PROFILES[profile].globals ?? {})
    .filter(([name]) => outlineCode.includes(GLOBAL_MARK + name))
    .map(([name, [module, what]]) => `import ${what === "*" ? `* as ${name}` : name} from "${GLOBAL_PREFIX}${module}";`);
  return imports.length ? `${text}\n${imports.join("\n")}\n` : text;  // after the code: its line numbers stay
}

function contractPlugin(state) {
  return {
    name: "w2c-import-contract",
    setup(build) {
      build.onResolve({ filter: /^w2c:(entry|widget)$/ }, (args) => ({ path: args.path.slice(4), namespace: "w2c" }));
      build.onLoad({ filter: /^entry$/, namespace: "w2c" }, () => ({ contents: state.entry, loader: "js" }));
      build.onLoad({ filter: /^widget$/, namespace: "w2c" }, () => ({ contents: state.source, loader: "tsx",
        resolveDir: HERE }));
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.path.startsWith(GLOBAL_PREFIX)) {  // a profile global the widget uses: see withGlobals
          return { path: args.path.slice(GLOBAL_PREFIX.length), namespace: "w2c-module" };
        }
        if (args.namespace === "w2c" && args.importer === "widget" && !allows(state.profile, args.path)) {
          return { errors: [{ text: notAllowed(state.profile, args.path) }] };
        }
        if (args.path === "react") return { path: "react", namespace: "w2c-module" };
        if (Object.hasOwn(REACT_GLOBALS, args.path)) return { path: args.path, namespace: "w2c-global" };
        if (PAGE_LIBRARIES.includes(args.path)) return { path: args.path, namespace: "w2c-module" };
        if (args.path === "lucide-react") return { path: LUCIDE_FILE };
        if (args.path.startsWith("@/")) {
          const file = shadcnPath(args.path);
          return file ? { path: file } : { errors: [{ text: noShadcnModule(args.path) }] };
        }
        return undefined;  // a package in node_modules (react-icons, clsx, ...): esbuild resolves it
      });
      build.onLoad({ filter: /.*/, namespace: "w2c-global" }, (args) => ({
        contents: `module.exports = ${REACT_GLOBALS[args.path]};`, loader: "js" }));
      build.onLoad({ filter: /.*/, namespace: "w2c-module" }, async (args) => {
        if (args.path === "react") return { contents: globalModule(REACT_GLOBALS.react, reactExports, "m"), loader: "js" };
        const { exports } = await library(args.path);
        return { contents: globalModule(`window.__W2C_LIB__[${JSON.stringify(args.path)}]`, exports,
          exports.includes("default") ? "m.default" : null), loader: "js" };
      });
    },
  };
}

// -- compiling a widget -----------------------------------------------------------------------------

// The outline pass keeps every import, used or not, so the contract is checked on what was written.
const TSCONFIG = { compilerOptions: { verbatimModuleSyntax: true } };
const contexts = new Map();

async function contextFor(profile) {
  if (!contexts.has(profile)) {
    const state = { profile, source: "", entry: "" };
    const context = await esbuild.context({
      entryPoints: ["w2c:entry"],
      bundle: true,
      write: false,
      metafile: true,
      format: "iife",
      jsx: "automatic",
      target: "es2020",
      logLevel: "silent",
      minify: false,
      absWorkingDir: HERE,
      define: { "process.env.NODE_ENV": '"production"' },
      // No verbatimModuleSyntax here: TypeScript's import elision, so a name used only as a type
      // (`import { LucideIcon } ...`) is not looked up. The outline pass checked every import as written.
      plugins: [contractPlugin(state)],
    });
    contexts.set(profile, { state, context });
  }
  return contexts.get(profile);
}

class CompileError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

// Import statements whose every name is a type (`import { type A, type B } from "x"`) are erased:
// TypeScript keeps them as `import "x"` under verbatimModuleSyntax, which would load (or reject) `x`.
// Blanked in place so error positions stay right.
const NAMED_IMPORT = /^[ \t]*(?:import|export)\s*\{([^{}]*)\}\s*from\s*(["'])[^"'\n]*\2[ \t]*;?/gm;
function eraseTypeOnlyImports(source) {
  return source.replace(NAMED_IMPORT, (statement, names) => {
    const items = names.split(",").map((s) => s.trim()).filter(Boolean);
    return items.length && items.every((s) => /^type\s/.test(s)) ? statement.replace(/[^\n]/g, " ") : statement;
  });
}

function preprocess(source, profile) {
  const first = source.replace(/^\uFEFF/, "").split("\n").find((line) => line.trim());
  if (first !== undefined && /^\s*(```|~~~)/.test(first)) {
    throw new CompileError("syntax", "1:0: the source is wrapped in a Markdown code fence (```): give the code alone");
  }
  let text = eraseTypeOnlyImports(source);
  // shadcn's older theme wrote colours as HSL channels (`hsl(var(--primary))`); this theme's variables are
  // whole colours, so the wrapper is dropped and both generations of shadcn code get their colours.
  if (PROFILES[profile].theme === "shadcn") text = text.replace(/hsl\(\s*var\((--[\w-]+)\)\s*\)/g, "var($1)");
  return text;
}

function describe(errors) {
  return errors.map((e) => {
    const loc = e.location ? `${e.location.line}:${e.location.column}: ` : "";
    return `${loc}${e.text}`;
  }).join("\n");
}

// esbuild names modules by their paths here; say them as the widget wrote them.
function readable(text) {
  return text.replace(/node_modules\/\.cache\/widget2code\/lucide-react\.[0-9a-f]+\.mjs/g, "lucide-react")
    .replace(/node_modules\/(react-icons(?:\/\w+)?)\/(?:index|lib\/index)\.mjs/g, "$1")
    .replace(/w2c-module:/g, "").replace(/w2c:widget/g, "widget.tsx");
}

function classify(errors) {
  const message = readable(describe(errors));
  const isImport = (e) => /is not allowed|^Could not resolve|^No matching export in "(?!w2c:)/.test(e.text);
  return new CompileError(errors.some(isImport) ? "import" : "syntax", message);
}

// Which export to render: the default; else the one capitalised export declared as a component
// (a function, arrow function, class, or memo/forwardRef of one). Decided from the code, so the
// compile step alone (the format reward) gives the same answer as a render.
function chooseComponent(exports, code) {
  if (exports.includes("default")) return "default";
  const declared = exports.filter((name) => /^[A-Z]/.test(name) && declaresComponent(code, name));
  if (declared.length === 1) return declared[0];
  if (declared.length > 1) {
    throw new CompileError("no_component", `no default export and ${declared.length} exported components `
      + `(${declared.join(", ")}): add \`export default\` to the one to render`);
  }
  throw new CompileError("no_component", exports.length
    ? `no default export and no exported component (exports: ${exports.join(", ")}): export the widget with \`export default\``
    : "the module exports nothing: export the widget with `export default`");
}

function declaresComponent(code, name) {
  const n = name.replace(/\$/g, "\\$");
  const start = "^(?:export\\s+)?";
  return new RegExp(`${start}(?:async\\s+)?function\\s*\\*?\\s*${n}\\s*\\(`, "m").test(code)
    || new RegExp(`${start}class\\s+${n}\\b`, "m").test(code)
    || new RegExp(`${start}(?:const|let|var)\\s+${n}\\s*=\\s*(?:/\\*\\s*@__PURE__\\s*\\*/\\s*)?(?:async\\s*)?`
      + "(?:\\(|function\\b|[\\w$]+\\s*=>|(?:[\\w$]+\\.)?(?:memo|forwardRef)\\s*\\()", "m").test(code);
}

async function compileWidget(source, profile) {
  if (!Object.hasOwn(PROFILES, profile)) {
    return { ok: false, error_kind: "invalid_input",
      message: `unknown import profile '${profile}' (known: ${Object.keys(PROFILES).join(", ")})` };
  }
  const t0 = performance.now();
  let js, component, libraries, localFiles;
  try {
    const text = preprocess(source, profile);
    // A quick unbundled pass: syntax errors, and the module's exports to pick the component from.
    let outline;
    try {
      outline = await esbuild.build({
        stdin: { contents: text, loader: "tsx", sourcefile: "widget.tsx" }, bundle: false, write: false,
        format: "esm", metafile: true, outdir: "out", jsx: "automatic", logLevel: "silent", tsconfigRaw: TSCONFIG,
        define: globalMarks(profile),
      });
    } catch (err) {
      throw new CompileError("syntax", describe(err.errors ?? [{ text: String(err) }]));
    }
    const { imports, exports } = Object.values(outline.metafile.outputs)[0];
    for (const { path } of imports) {
      if (!allows(profile, path)) throw new CompileError("import", notAllowed(profile, path));
      if (path.startsWith("@/") && !shadcnPath(path)) throw new CompileError("import", noShadcnModule(path));
    }
    component = chooseComponent(exports, outline.outputFiles[0].text);
    const { state, context } = await contextFor(profile);
    state.source = withGlobals(text, profile, outline.outputFiles[0].text);
    state.entry = component === "default"
      ? 'import W from "w2c:widget"; window.__W2C_WIDGET__ = W;'
      : `import { ${component} as W } from "w2c:widget"; window.__W2C_WIDGET__ = W;`;
    let result;
    try {
      result = await context.rebuild();
    } catch (err) {
      throw classify(err.errors ?? [{ text: String(err) }]);
    }
    js = result.outputFiles[0].text;
    const inputs = Object.keys(result.metafile.inputs);
    libraries = withNeeds(PAGE_LIBRARIES.filter((name) => inputs.includes(`w2c-module:${name}`)));
    localFiles = inputs.filter((p) => p.startsWith("shadcn/")).sort();
    source = text;
  } catch (err) {
    if (err instanceof CompileError) return { ok: false, error_kind: err.kind, message: err.message };
    throw err;
  }
  const t1 = performance.now();
  if (PROFILES[profile].tailwind === false) return { ok: true, js, css: "", component, libraries, ms: { esbuild: t1 - t0, tailwind: 0 } };
  // A fresh compiler per widget: a shared one accumulates candidates and its output would depend on
  // which widgets came before.
  const theme = PROFILES[profile].theme;
  const compiler = await compileTailwind(theme ? `${BASE_CSS}\n${THEMES[theme]}` : BASE_CSS,
    { base: TAILWIND_DIR, loadStylesheet });
  const files = [{ content: source, extension: "tsx" },
    ...localFiles.map((p) => ({ content: readLocal(p), extension: "tsx" }))];
  const css = compiler.build(new Scanner({}).scanFiles(files));
  const t2 = performance.now();
  return { ok: true, js, css, component, libraries, ms: { esbuild: t1 - t0, tailwind: t2 - t1 } };
}

const localSources = new Map();
function readLocal(relative) {
  if (!localSources.has(relative)) localSources.set(relative, readFileSync(join(HERE, relative), "utf8"));
  return localSources.get(relative);
}

const stylesheets = new Map();
function loadStylesheet(id, base) {
  const name = id === "tailwindcss" ? "index.css" : id.replace(/^tailwindcss\//, "").replace(/^\.\//, "");
  const path = join(TAILWIND_DIR, name.endsWith(".css") ? name : `${name}.css`);
  if (!path.startsWith(TAILWIND_DIR)) throw new Error(`stylesheet '${id}' is not allowed`);
  if (!stylesheets.has(path)) stylesheets.set(path, readFileSync(path, "utf8"));
  return Promise.resolve({ path, base: TAILWIND_DIR, content: stylesheets.get(path) });
}

// -- the protocol -----------------------------------------------------------------------------------

async function handle(request) {
  if (request.op === "vendor") return { ok: true, js: await buildVendor(Boolean(request.dev)) };
  if (request.op === "library") return { ok: true, js: (await library(request.name)).js };
  if (request.op === "prepare") return prepare();
  if (typeof request.source !== "string") return { ok: false, error_kind: "invalid_input", message: "no source" };
  return compileWidget(request.source, request.profile ?? "default");
}

async function closeAll() {
  await Promise.all([...contexts.values()].map(({ context }) => context.dispose()));
  esbuild.stop();
}

if (process.argv.includes("--prepare")) {
  const t0 = performance.now();
  const answer = await prepare(true);
  console.log(`widget2code: library bundles ready in ${answer.cache} (${Math.round(performance.now() - t0)} ms)`);
  await closeAll();
} else {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let queue = Promise.resolve();
  lines.on("line", (line) => {
    // Requests are answered in order (an esbuild context builds one widget at a time).
    queue = queue.then(async () => {
      let request;
      try {
        request = JSON.parse(line);
      } catch {
        process.stdout.write(JSON.stringify({ id: null, ok: false, error_kind: "invalid_input", message: "bad JSON" }) + "\n");
        return;
      }
      let response;
      try {
        response = await handle(request);
      } catch (err) {
        response = { ok: false, error_kind: "syntax", message: String(err && err.message || err) };
      }
      process.stdout.write(JSON.stringify({ id: request.id, ...response }) + "\n");
    });
  });
  lines.on("close", () => queue.then(closeAll));
}
