// Runs first in every document (an init script, before React and the widget): whatever a widget can observe
// of time, chance (Math.random, crypto), storage or the outside world is made the same on every render.
//
// Virtual time. Timers, animation frames, idle callbacks, `performance.now()` and `Date` all read one clock
// that starts at 0 (Date: 2024-06-13T07:40:00Z) and moves only when the mount script advances it: after the
// mount, every timer and animation frame (one each 16 ms) due within the first `virtualTimeMs` of virtual
// time fires, in time order, with React's work and promises settled between events; then the clock stops
// at `virtualTimeMs` and the page is captured. Timers due later never fire. ResizeObserver and
// IntersectionObserver report on those frames, so layout-driven widgets (recharts' ResponsiveContainer)
// settle on virtual time too. The driver is `window.__W2C_CLOCK__`.
(() => {
  "use strict";
  const START = 1718264400000; // 2024-06-13T07:40:00Z at virtual time 0
  const FRAME_MS = 16;
  const MAX_EVENTS = 20000; // a runaway timer chain stops here, at the same event every time
  const MAX_HOPS = 50; // macrotask hops to settle after an event, while React still has work queued

  const realSetTimeout = window.setTimeout.bind(window);
  const realPerformanceNow = performance.now.bind(performance);
  const channel = new MessageChannel();
  const hops = [];
  channel.port1.onmessage = () => hops.shift()();
  const hop = () => new Promise((resolve) => {
    hops.push(resolve);
    channel.port2.postMessage(0);
  });
  const report = (error) => {
    try { window.reportError(error); } catch { /* nothing to report to */ }
  };

  let now = 0;
  let order = 0;
  let nextId = 1;
  let nesting = 0;
  const timers = new Map(); // id -> {due, order, fn, args, every, nesting}
  let frames = new Map(); // id -> callback, for the next frame
  let firing = new Map(); // the frame being run (cancelAnimationFrame may still remove from it)

  const callable = (fn) => (typeof fn === "function" ? fn : () => (0, eval)(String(fn)));
  function addTimer(fn, delay, args, repeat) {
    const id = nextId++;
    let ms = Math.max(0, Math.floor(Number(delay) || 0));
    if (nesting >= 5) ms = Math.max(ms, 4); // as browsers clamp deeply nested timers
    if (repeat) ms = Math.max(ms, 1);
    timers.set(id, { due: now + ms, order: order++, fn: callable(fn), args, every: repeat ? ms : null, nesting: nesting + 1 });
    return id;
  }
  const clearTimer = (id) => { timers.delete(id); };
  window.setTimeout = (fn, delay, ...args) => addTimer(fn, delay, args, false);
  window.setInterval = (fn, delay, ...args) => addTimer(fn, delay, args, true);
  window.clearTimeout = window.clearInterval = clearTimer;
  window.requestAnimationFrame = (fn) => {
    const id = nextId++;
    frames.set(id, fn);
    return id;
  };
  window.cancelAnimationFrame = (id) => { frames.delete(id); firing.delete(id); };
  window.requestIdleCallback = (fn) => addTimer(() => fn({ didTimeout: false, timeRemaining: () => 0 }), 1, [], false);
  window.cancelIdleCallback = clearTimer;
  Object.defineProperty(performance, "now", { value: () => now, configurable: false, writable: false });

  const RealDate = Date;
  function VirtualDate(...args) {
    if (!new.target) return new RealDate(START + now).toString();
    return args.length ? new RealDate(...args) : new RealDate(START + now);
  }
  VirtualDate.prototype = RealDate.prototype;
  VirtualDate.now = () => START + now;
  VirtualDate.UTC = RealDate.UTC;
  VirtualDate.parse = RealDate.parse;
  window.Date = VirtualDate;

  // Intl formats "now" from the engine's own clock unless given a date.
  const formatGetter = Object.getOwnPropertyDescriptor(Intl.DateTimeFormat.prototype, "format").get;
  Object.defineProperty(Intl.DateTimeFormat.prototype, "format", {
    get() {
      const format = formatGetter.call(this);
      return (date) => format(date === undefined ? START + now : date);
    },
    configurable: true,
  });
  const formatToParts = Intl.DateTimeFormat.prototype.formatToParts;
  Intl.DateTimeFormat.prototype.formatToParts = function (date) {
    return formatToParts.call(this, date === undefined ? START + now : date);
  };

  const mulberry32 = (seed) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  Math.random = mulberry32(0x2f6b3c1d);
  const randomByte = mulberry32(0x5eed1e55);
  crypto.getRandomValues = (array) => {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(randomByte() * 256);
    return array;
  };
  crypto.randomUUID = () => {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };

  // -- observers that report on virtual frames ------------------------------------------------------------
  const observers = new Set();
  const boxOf = (el, box) => {
    if (typeof SVGGraphicsElement !== "undefined" && el instanceof SVGGraphicsElement && !(el instanceof SVGSVGElement)) {
      const b = el.getBBox();
      return [b.width, b.height, b.width, b.height];
    }
    const cs = getComputedStyle(el);
    const px = (v) => parseFloat(v) || 0;
    const padX = px(cs.paddingLeft) + px(cs.paddingRight) + px(cs.borderLeftWidth) + px(cs.borderRightWidth);
    const padY = px(cs.paddingTop) + px(cs.paddingBottom) + px(cs.borderTopWidth) + px(cs.borderBottomWidth);
    let w = px(cs.width);
    let h = px(cs.height);
    if (cs.boxSizing !== "border-box") { w += padX; h += padY; }
    if (cs.display === "none" || cs.display === "inline") { w = 0; h = 0; }
    const content = [Math.max(0, w - padX), Math.max(0, h - padY)];
    return box === "border-box" ? [w, h, ...content] : [...content, ...content];
  };
  // Each observer lists what changed since it last reported (`changes`); a frame delivers those lists.
  class VirtualResizeObserver {
    #callback;
    #targets = new Map();
    constructor(callback) { this.#callback = callback; }
    observe(target, options) {
      this.#targets.set(target, { box: options?.box ?? "content-box", last: null });
      observers.add(this);
    }
    unobserve(target) { this.#targets.delete(target); }
    disconnect() { this.#targets.clear(); observers.delete(this); }
    changes() {
      const entries = [];
      for (const [target, state] of this.#targets) {
        const [w, h, cw, ch] = boxOf(target, state.box);
        if (state.last && state.last[0] === w && state.last[1] === h) continue;
        const dpr = window.devicePixelRatio;
        entries.push({
          target,
          contentRect: new DOMRectReadOnly(0, 0, cw, ch),
          contentBoxSize: [{ inlineSize: cw, blockSize: ch }],
          borderBoxSize: [{ inlineSize: w, blockSize: h }],
          devicePixelContentBoxSize: [{ inlineSize: cw * dpr, blockSize: ch * dpr }],
          seen: [w, h],
        });
      }
      return entries;
    }
    deliver(entries) {
      for (const entry of entries) {
        const state = this.#targets.get(entry.target);
        if (state) state.last = entry.seen;
      }
      this.#callback.call(this, entries, this);
    }
  }
  class VirtualIntersectionObserver {
    #callback;
    #targets = new Map();
    constructor(callback, options = {}) {
      this.#callback = callback;
      this.root = options.root ?? null;
      this.rootMargin = options.rootMargin ?? "0px";
      this.thresholds = [].concat(options.threshold ?? 0);
    }
    observe(target) { this.#targets.set(target, null); observers.add(this); }
    unobserve(target) { this.#targets.delete(target); }
    disconnect() { this.#targets.clear(); observers.delete(this); }
    takeRecords() { return []; }
    changes() {
      const entries = [];
      const root = this.root ? this.root.getBoundingClientRect() : new DOMRectReadOnly(0, 0, innerWidth, innerHeight);
      for (const [target, last] of this.#targets) {
        const r = target.getBoundingClientRect();
        const w = Math.max(0, Math.min(r.right, root.right) - Math.max(r.left, root.left));
        const h = Math.max(0, Math.min(r.bottom, root.bottom) - Math.max(r.top, root.top));
        const inside = r.left <= root.right && r.right >= root.left && r.top <= root.bottom && r.bottom >= root.top;
        const ratio = r.width * r.height > 0 ? (w * h) / (r.width * r.height) : (inside ? 1 : 0);
        if (last && last[0] === inside && last[1] === ratio) continue;
        entries.push({ target, isIntersecting: inside, intersectionRatio: ratio, boundingClientRect: r, rootBounds: root,
          intersectionRect: new DOMRectReadOnly(Math.max(r.left, root.left), Math.max(r.top, root.top), w, h),
          time: now, seen: [inside, ratio] });
      }
      return entries;
    }
    deliver(entries) {
      for (const entry of entries) if (this.#targets.has(entry.target)) this.#targets.set(entry.target, entry.seen);
      this.#callback.call(this, entries, this);
    }
  }
  window.ResizeObserver = VirtualResizeObserver;
  window.IntersectionObserver = VirtualIntersectionObserver;

  // -- running the clock ----------------------------------------------------------------------------------
  const observed = () => {
    const due = [];
    for (const observer of observers) {
      const entries = observer.changes();
      if (entries.length) due.push([observer, entries]);
    }
    return due;
  };
  function nextEvent() {
    let timer = null;
    for (const [id, t] of timers) {
      if (!timer || t.due < timer[1].due || (t.due === timer[1].due && t.order < timer[1].order)) timer = [id, t];
    }
    const frameDue = frames.size || (observers.size && observed().length)
      ? (Math.floor(now / FRAME_MS) + 1) * FRAME_MS : Infinity;
    if (timer && timer[1].due <= frameDue) return { at: timer[1].due, timer };
    return frameDue === Infinity ? null : { at: frameDue, timer: null };
  }
  function fire(event) {
    now = event.at;
    if (event.timer) {
      const [id, t] = event.timer;
      if (t.every === null) timers.delete(id);
      else t.due += t.every;
      nesting = t.nesting;
      try { t.fn(...t.args); } catch (error) { report(error); }
      nesting = 0;
      return;
    }
    firing = frames;
    frames = new Map();
    for (const [id, fn] of firing) {
      if (!firing.has(id)) continue;
      try { fn(now); } catch (error) { report(error); }
    }
    firing = new Map();
    for (const [observer, entries] of observed()) { // after the frame's callbacks, as browsers do
      try { observer.deliver(entries); } catch (error) { report(error); }
    }
  }
  // Let React finish: one macrotask hop drains the promise jobs and the tasks React queued before it; more
  // while React's scheduler (react-dom's own instance, loaded after this script) still has work queued.
  async function settle() {
    await hop();
    const scheduler = window.__W2C_VENDOR__?.Scheduler;
    for (let i = 1; i < MAX_HOPS && scheduler && scheduler.unstable_getFirstCallbackNode() !== null; i++) await hop();
  }
  // Fire events in time order until `limit` (virtual ms) or until `done()`; true when done() said so.
  async function run(limit, done = null) {
    for (let events = 0; events < MAX_EVENTS; events++) {
      await settle();
      if (done && done()) return true;
      const event = nextEvent();
      if (!event || event.at > limit) break;
      fire(event);
    }
    if (!done) now = Math.max(now, limit);
    return false;
  }

  // -- the outside world ------------------------------------------------------------------------------------
  // Storage and cookies live in memory and die with the document: nothing carries over to the next widget.
  class MemoryStorage {
    #data = new Map();
    get length() { return this.#data.size; }
    key(i) { return [...this.#data.keys()][i] ?? null; }
    getItem(k) { return this.#data.has(String(k)) ? this.#data.get(String(k)) : null; }
    setItem(k, v) { this.#data.set(String(k), String(v)); }
    removeItem(k) { this.#data.delete(String(k)); }
    clear() { this.#data.clear(); }
  }
  for (const name of ["localStorage", "sessionStorage"]) {
    const storage = new MemoryStorage();
    Object.defineProperty(window, name, { get: () => storage, configurable: false });
  }
  const cookies = new Map();
  Object.defineProperty(document, "cookie", {
    get: () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; "),
    set: (text) => {
      const [pair] = String(text).split(";");
      const at = pair.indexOf("=");
      if (at > 0) cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    },
    configurable: false,
  });
  window.fetch = () => Promise.reject(new TypeError("Failed to fetch: the renderer is offline"));
  window.alert = window.confirm = window.prompt = window.print = () => undefined;

  // Leaving the page is remembered the moment it is tried (the render then fails as `runtime`), so it never
  // races the screenshot. A widget's frame has an opaque origin, where the Navigation API reports nothing:
  // form submissions are caught and cancelled here; links and `location` changes announce themselves with
  // `beforeunload` (the page's CSP then stops them: a frame may not be navigated anywhere).
  let navigations = 0;
  window.addEventListener("beforeunload", () => { navigations++; });
  window.addEventListener("submit", (event) => { navigations++; event.preventDefault(); }, true);
  HTMLFormElement.prototype.submit = function submit() { navigations++; };

  Object.defineProperty(window, "__W2C_CLOCK__", {
    value: Object.freeze({
      run,
      settle,
      now: () => now,
      realNow: realPerformanceNow,
      sleep: (ms) => new Promise((resolve) => realSetTimeout(resolve, ms)),
      navigated: () => navigations > 0,
    }),
    configurable: false,
    writable: false,
  });
})();
