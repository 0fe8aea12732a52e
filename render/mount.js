// Evaluated in a fresh page: load the widget's CSS and JS, mount it synchronously, measure its box.
// Returns {box: [x, y, width, height]} or {kind, message} with kind in runtime | no_component | empty.
async ([js, css]) => {
  const describe = (err) => (err && err.stack ? String(err.stack).split("\n").slice(0, 3).join(" | ") : String(err));
  const errors = [];
  window.addEventListener("error", (event) => errors.push(describe(event.error ?? event.message)));
  window.addEventListener("unhandledrejection", (event) => errors.push(describe(event.reason)));
  const style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);
  try {
    (0, eval)(js);
  } catch (err) {
    return { kind: "runtime", message: `evaluating the module threw: ${describe(err)}` };
  }
  const Widget = window.__W2C_WIDGET__;
  const isComponent = typeof Widget === "function" || (Widget !== null && typeof Widget === "object" && "$$typeof" in Widget);
  if (!isComponent) {
    return { kind: "no_component", message: `the default export is ${Widget === null ? "null" : typeof Widget}, not a React component` };
  }
  const { React, ReactDOM, ReactDOMClient } = window.__W2C_VENDOR__;
  const root = document.getElementById("w2c-root");
  try {
    ReactDOM.flushSync(() => ReactDOMClient.createRoot(root).render(React.createElement(Widget)));
  } catch (err) {
    return { kind: "runtime", message: `rendering threw: ${describe(err)}` };
  }
  if (errors.length) return { kind: "runtime", message: errors[0] };
  await document.fonts.ready;
  if (errors.length) return { kind: "runtime", message: errors[0] };
  const rect = root.getBoundingClientRect();
  const width = Math.max(rect.width, root.scrollWidth);
  const height = Math.max(rect.height, root.scrollHeight);
  if (!root.firstChild || width < 1 || height < 1) {
    return { kind: "empty", message: root.firstChild ? `the widget's box is ${width}x${height}` : "the component rendered nothing" };
  }
  return { box: [rect.left, rect.top, width, height] };
}
