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
      requestConfig: { endpoint: config.endpoint, method: "POST" }
    });
  });
  window.guidebookEditor = yasgui;
})();
