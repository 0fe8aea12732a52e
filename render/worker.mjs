// widget2code compile worker: TSX -> {js, css}, one JSON object per line on stdin/stdout.
//
// Request:  {"id": 1, "source": "<tsx>"}   or   {"id": 0, "op": "vendor"}
// Response: {"id": 1, "ok": true, "js": "...", "css": "...", "ms": {"esbuild": 9.1, "tailwind": 12.3}}
//           {"id": 1, "ok": false, "error_kind": "syntax" | "import" | "no_component", "message": "..."}
//
// The worker only compiles: it never runs the widget, so untrusted source cannot do anything here.
// It is long-lived so the cost of starting Node, esbuild and Tailwind is paid once, not per render.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { compile as compileTailwind } from "tailwindcss";
import { Scanner } from "@tailwindcss/oxide";

const HERE = dirname(fileURLToPath(import.meta.url));
const TAILWIND_DIR = join(HERE, "node_modules", "tailwindcss");

// The import contract: what a widget may import, and the global each name maps to in the page.
const ALLOWED_IMPORTS = {
  react: "window.__W2C_VENDOR__.React",
  "react/jsx-runtime": "window.__W2C_VENDOR__.jsxRuntime",
  "react/jsx-dev-runtime": "window.__W2C_VENDOR__.jsxRuntime",
};

// Fonts decide pixels: map Tailwind's font stacks to fonts the setup installs, so renders are the
// same on every machine that ran `make setup`, whatever else is installed.
const THEME_CSS = `@import "tailwindcss";
@theme {
  --font-sans: "Liberation Sans", "DejaVu Sans", "Noto Color Emoji", sans-serif;
  --font-serif: "Liberation Serif", "DejaVu Serif", "Noto Color Emoji", serif;
  --font-mono: "Liberation Mono", "DejaVu Sans Mono", monospace;
}`;

const stylesheets = new Map();
function loadStylesheet(id, base) {
  const name = id === "tailwindcss" ? "index.css" : id.replace(/^tailwindcss\//, "").replace(/^\.\//, "");
  const path = join(TAILWIND_DIR, name.endsWith(".css") ? name : `${name}.css`);
  if (!path.startsWith(TAILWIND_DIR)) throw new Error(`stylesheet '${id}' is not allowed`);
  if (!stylesheets.has(path)) stylesheets.set(path, readFileSync(path, "utf8"));
  return Promise.resolve({ path, base: TAILWIND_DIR, content: stylesheets.get(path) });
}

const ENTRY = `import Widget from "w2c:widget"; window.__W2C_WIDGET__ = Widget;`;

function contractPlugin(source) {
  return {
    name: "w2c-import-contract",
    setup(build) {
      build.onResolve({ filter: /^w2c:widget$/ }, () => ({ path: "widget.tsx", namespace: "w2c" }));
      build.onResolve({ filter: /.*/ }, (args) => {
        if (Object.hasOwn(ALLOWED_IMPORTS, args.path)) return { path: args.path, namespace: "w2c-global" };
        return {
          errors: [{ text: `import of '${args.path}' is not allowed (a widget may import only 'react')` }],
        };
      });
      build.onLoad({ filter: /.*/, namespace: "w2c" }, () => ({ contents: source, loader: "tsx" }));
      build.onLoad({ filter: /.*/, namespace: "w2c-global" }, (args) => ({
        contents: `module.exports = ${ALLOWED_IMPORTS[args.path]};`,
        loader: "js",
      }));
    },
  };
}

function classify(errors) {
  const text = errors.map((e) => {
    const loc = e.location ? `${e.location.line}:${e.location.column}: ` : "";
    return `${loc}${e.text}`;
  }).join("\n");
  let kind = "syntax";
  if (errors.some((e) => e.text.includes("is not allowed (a widget may import"))) kind = "import";
  else if (errors.some((e) => /No matching export in "w2c:widget" for import "default"/.test(e.text)
    || /No matching export .* for import "default"/.test(e.text))) kind = "no_component";
  return { kind, message: text };
}

async function compileWidget(source) {
  const t0 = performance.now();
  let js;
  try {
    const result = await esbuild.build({
      stdin: { contents: ENTRY, loader: "js", resolveDir: HERE, sourcefile: "entry.js" },
      bundle: true,
      write: false,
      format: "iife",
      jsx: "automatic",
      target: "es2020",
      logLevel: "silent",
      minify: false,
      plugins: [contractPlugin(source)],
      // Keep every import, used or not, so the import contract is checked on what was written.
      tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
    });
    js = result.outputFiles[0].text;
  } catch (err) {
    const { kind, message } = classify(err.errors ?? [{ text: String(err) }]);
    return { ok: false, error_kind: kind, message };
  }
  const t1 = performance.now();
  // A fresh compiler per widget: a shared one accumulates candidates and its output would depend on
  // which widgets came before.
  const compiler = await compileTailwind(THEME_CSS, { base: TAILWIND_DIR, loadStylesheet });
  const candidates = new Scanner({}).scanFiles([{ content: source, extension: "tsx" }]);
  const css = compiler.build(candidates);
  const t2 = performance.now();
  return { ok: true, js, css, ms: { esbuild: t1 - t0, tailwind: t2 - t1 } };
}

async function buildVendor() {
  const result = await esbuild.build({
    stdin: {
      contents: `import * as React from "react"; import * as ReactDOM from "react-dom";
        import * as ReactDOMClient from "react-dom/client"; import * as jsxRuntime from "react/jsx-runtime";
        window.__W2C_VENDOR__ = { React, ReactDOM, ReactDOMClient, jsxRuntime };`,
      loader: "js",
      resolveDir: HERE,
    },
    bundle: true,
    write: false,
    format: "iife",
    minify: true,
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

async function handle(request) {
  if (request.op === "vendor") return { ok: true, js: await buildVendor() };
  if (typeof request.source !== "string") return { ok: false, error_kind: "invalid_input", message: "no source" };
  return compileWidget(request.source);
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
let queue = Promise.resolve();
lines.on("line", (line) => {
  // Requests are answered in order; esbuild's own service runs concurrently underneath.
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
lines.on("close", () => queue.then(() => esbuild.stop()));
