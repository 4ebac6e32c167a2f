// The SPARQL page of `guidebook serve`: YASGUI (static/yasgui/, MIT, bundled from the npm
// package @zazuko/yasgui) on this server's endpoint, a tab per saved view, results as a
// table. Nothing is fetched from elsewhere: no prefix service, no vocabulary look-ups, no
// saved state in the browser.
(function () {
  "use strict";
  var host = document.getElementById("yasgui");
  var config = JSON.parse(document.getElementById("editor-config").textContent);
  if (!host || typeof Yasgui === "undefined") { return; }
  var yasgui = new Yasgui(host, {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: config.endpoint }]; } },
    persistenceId: null,
    autoAddOnInit: false,
    populateFromUrl: false,
    yasqe: { autocompleters: ["prefixes", "variables"], prefixCcApi: null, persistenceId: null },
    yasr: { defaultPlugin: "table", persistenceId: null }
  });
  config.examples.forEach(function (example, index) {
    yasgui.addTab(index === 0, {
      name: example.name,
      yasqe: { value: example.query },
      // The results as a table of plain values (no datatypes), the way people read them.
      yasr: { settings: { selectedPlugin: "table", pluginsConfig: { table: { compact: true } } }, response: undefined },
      requestConfig: { endpoint: config.endpoint, method: "POST" }
    });
  });

  // What YASGUI's own markup lacks for people using assistive technology, added each time
  // it redraws: names for its text fields, a tab list holding only tabs, tabs that point
  // only at panels that exist, and a keyboard stop on the scrolling editor.
  function name(element, label) {
    if (!element.getAttribute("aria-label")) { element.setAttribute("aria-label", label); }
  }
  function mend() {
    host.querySelectorAll(".CodeMirror textarea").forEach(function (e) { name(e, "SPARQL query"); });
    host.querySelectorAll("input.autocomplete").forEach(function (e) { name(e, "SPARQL endpoint"); });
    host.querySelectorAll(".tabsList input").forEach(function (e) { name(e, "Tab name"); });
    host.querySelectorAll("select.tableSizer").forEach(function (e) { name(e, "Rows per page"); });
    host.querySelectorAll(".yasr input, .yasr select").forEach(function (e) {
      if (!e.labels || !e.labels.length) { name(e, e.getAttribute("placeholder") || "Filter the results"); }
    });
    host.querySelectorAll(".CodeMirror-scroll").forEach(function (e) {
      if (e.getAttribute("tabindex") !== "0") { e.setAttribute("tabindex", "0"); }
    });
    host.querySelectorAll("[role=tab][aria-controls]").forEach(function (tab) {
      if (!document.getElementById(tab.getAttribute("aria-controls"))) {
        tab.removeAttribute("aria-controls");
      }
    });
    host.querySelectorAll("[role=tablist]").forEach(function (list) {
      Array.prototype.forEach.call(list.children, function (child) {
        if (!child.querySelector("[role=tab]")) { list.parentNode.insertBefore(child, list.nextSibling); }
      });
    });
  }
  var pending = false;
  new MutationObserver(function () {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; mend(); });
  }).observe(host, { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-controls", "tabindex"] });
  mend();
  window.guidebookEditor = yasgui;
})();
