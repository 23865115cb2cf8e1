// Links to other pages of the Airflow UI (a DAG run, log out) carry target="_top": they replace the whole window.
// In the Airflow UI this page is an iframe (the plugin's external view) sandboxed with allow-scripts and
// allow-same-origin but without allow-top-navigation, so the browser refuses target="_top" there, and
// window.top.location.assign() too (a SecurityError). The frame is same-origin: such a link is followed by an
// anchor of the top document, which is not sandboxed. This script is loaded in <head>, before any link exists,
// so a click is handled however long the page waits for its data (browse.js's listeners come after api/config).
"use strict";
document.addEventListener("click", (e) => {
  const a = e.target instanceof Element ? e.target.closest('a[target="_top"]') : null;
  if (!a || window.top === window.self || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  let top;
  try { top = window.top.document; } catch (err) { return; }  // framed by another site: the browser decides
  e.preventDefault();
  const link = top.createElement("a");
  link.href = a.href;
  top.body.appendChild(link);
  link.click();
  link.remove();
});
