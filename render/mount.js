// Evaluated in a fresh page: load the widget's CSS and JS, mount it, run the virtual clock (clock.js),
// wait for pending Suspense boundaries, measure the widget's box: what it rendered (capture "root"), or its first
// element alone, overflow cut (capture "element", as the official Widget2Code renderer screenshots a widget).
// Returns {box: [x, y, width, height]} or {kind, message} with kind in runtime | no_component | empty | timeout.
async ([js, css, options]) => {
  const { component, virtualTimeMs, deadlineMs, capture } = options;
  const clock = window.__W2C_CLOCK__;
  const started = clock.realNow();
  const describe = (err) => {
    if (!(err instanceof Error)) return String(err && err.message || err);
    const at = String(err.stack || "").split("\n").find((line) => line.trim().startsWith("at "));
    const text = `${err.name}: ${err.message}`.replace(/\s+/g, " ").trim();
    return at ? `${text} | ${at.trim()}` : text;
  };
  const errors = [];
  window.addEventListener("error", (event) => errors.push(describe(event.error ?? event.message)));
  window.addEventListener("unhandledrejection", (event) => errors.push(describe(event.reason)));
  const failure = () => {
    if (clock.navigated()) {
      return { kind: "runtime", message: "the widget navigated away from its page; a widget must stay on its page" };
    }
    return errors.length ? { kind: "runtime", message: errors[0] } : null;
  };
  const style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);
  try {
    (0, eval)(js);
  } catch (err) {
    return failure() ?? { kind: "runtime", message: `evaluating the module threw: ${describe(err)}` };
  }
  const { React, ReactDOM, ReactDOMClient } = window.__W2C_VENDOR__;
  const Widget = window.__W2C_WIDGET__;
  const what = component === "default" ? "the default export" : `the export '${component}'`;
  if (React.isValidElement(Widget)) {
    const tag = typeof Widget.type === "string" ? Widget.type : Widget.type?.displayName ?? Widget.type?.name ?? "element";
    return { kind: "no_component", message: `${what} is a React element (<${tag}>), not a component: export a function that returns it` };
  }
  const isComponent = typeof Widget === "function" || (Widget !== null && typeof Widget === "object" && typeof Widget.$$typeof === "symbol");
  if (!isComponent) {
    return { kind: "no_component", message: `${what} is ${Widget === null ? "null" : typeof Widget}, not a React component` };
  }
  const container = document.getElementById("w2c-root");
  const root = ReactDOMClient.createRoot(container);
  try {
    // A boundary of our own, so a widget that is itself lazy (or suspends at its root) waits like any other.
    ReactDOM.flushSync(() => root.render(React.createElement(React.Suspense, { fallback: null }, React.createElement(Widget))));
  } catch (err) {
    return failure() ?? { kind: "runtime", message: `rendering threw: ${describe(err)}` };
  }
  if (failure()) return failure();
  await clock.run(virtualTimeMs);
  if (failure()) return failure();

  // Suspense: while a boundary shows its fallback, keep going, on virtual timers first, then in real time.
  const suspended = () => {
    const stack = [root._internalRoot?.current];
    while (stack.length) {
      const fiber = stack.pop();
      if (!fiber) continue;
      if (fiber.tag === 13 && fiber.memoizedState !== null) return true; // SuspenseComponent showing fallback
      stack.push(fiber.child, fiber.sibling);
    }
    return false;
  };
  if (suspended()) {
    await clock.run(virtualTimeMs + 60_000, () => !suspended() || failure() !== null);
    while (suspended() && !failure() && clock.realNow() - started < deadlineMs) {
      await clock.sleep(10);
      await clock.settle();
    }
    if (failure()) return failure();
    if (suspended()) {
      return { kind: "timeout", message: `a Suspense boundary was still showing its fallback after ${Math.round(deadlineMs / 1000)} s` };
    }
  }
  await document.fonts.ready;
  await clock.settle();
  if (failure()) return failure();

  // Hold what still animates in real time (SVG SMIL, Web Animations) at the clock's time.
  for (const svg of document.querySelectorAll("svg")) {
    try {
      svg.pauseAnimations();
      svg.setCurrentTime(clock.now() / 1000);
    } catch { /* not a time container */ }
  }
  for (const animation of document.getAnimations()) {
    try {
      animation.pause();
      animation.currentTime = clock.now();
    } catch { /* already gone */ }
  }
  if (!container.firstChild) return { kind: "empty", message: "the component rendered nothing" };
  const element = capture === "element";
  const target = element ? container.firstElementChild : container;
  if (!target) return { kind: "empty", message: "the component rendered no element, only text" };
  const rect = target.getBoundingClientRect();
  const width = element ? rect.width : Math.max(rect.width, container.scrollWidth);
  const height = element ? rect.height : Math.max(rect.height, container.scrollHeight);
  if (width < 1 || height < 1) {
    const hint = width < 1 && height >= 1 ? ": a width given only in percent (w-full, ResponsiveContainer width=\"100%\") "
      + "has no parent width to fill here; give the widget a width" : "";
    return { kind: "empty", message: `the widget's box is ${width}x${height}${hint}` };
  }
  return { box: [rect.left, rect.top, width, height] };
}
