// The programme finder of a built site (finder.html): the page carries every programme
// and, for each value of each drop-down, the programmes the programme-search view returns
// for that value alone. A search keeps the programmes in every chosen set: the view's
// filters are independent, so that is what the view returns for the combination.
(function () {
  "use strict";
  var form = document.getElementById("finder");
  var source = document.getElementById("finder-data");
  if (!form || !source) { return; }
  var data = JSON.parse(source.textContent);
  var body = document.querySelector("#found-table tbody");
  var count = document.getElementById("found-count");
  var pages = document.getElementById("found-pages");

  function chosen() {
    var found = {};
    Array.prototype.forEach.call(form.querySelectorAll("select, input"), function (field) {
      if (field.name && field.value) { found[field.name] = field.value; }
    });
    return found;
  }

  function matching(values) {
    var keep = data.rows.map(function (_, i) { return i; });
    Object.keys(values).forEach(function (name) {
      var sets = data.matches[name] || {};
      var allowed = {};
      (sets[values[name]] || []).forEach(function (i) { allowed[i] = true; });
      keep = keep.filter(function (i) { return allowed[i]; });
    });
    return keep;
  }

  function cell(row, text, href) {
    var td = document.createElement("td");
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    row.appendChild(td);
  }

  function show(values, page) {
    var found = matching(values);
    var size = data.size;
    var last = Math.max(1, Math.ceil(found.length / size));
    page = Math.min(Math.max(1, page), last);
    body.textContent = "";
    found.slice((page - 1) * size, page * size).forEach(function (i) {
      var r = data.rows[i];
      var tr = document.createElement("tr");
      tr.className = "programme";
      cell(tr, r[0], r[1]);
      for (var k = 2; k < r.length; k++) { cell(tr, r[k]); }
      body.appendChild(tr);
    });
    var first = found.length ? (page - 1) * size + 1 : 0;
    count.textContent = found.length
      ? first + "–" + Math.min(found.length, page * size) + " of " + found.length + " programmes"
        + (last > 1 ? " · page " + page + " of " + last : "")
      : "No programme matches all your choices.";
    pages.textContent = "";
    if (last > 1) {
      var list = document.createElement("ul");
      for (var n = 1; n <= last; n++) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = "#found";
        a.textContent = String(n);
        if (n === page) { a.setAttribute("aria-current", "page"); }
        a.addEventListener("click", (function (target) {
          return function (event) { event.preventDefault(); show(values, target); };
        })(n));
        li.appendChild(a);
        list.appendChild(li);
      }
      pages.appendChild(list);
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(chosen(), 1);
  });
  // A link with the choices in its query string (finder.html?age_group=...) opens them.
  var given = new URLSearchParams(window.location.search);
  given.forEach(function (value, name) {
    var field = form.elements.namedItem(name);
    if (field) { field.value = value; }
  });
  show(chosen(), 1);
})();

// The evidence map of a built site (map.html): the page carries, for each value of each
// filter, the programmes the evidence-map view returns for that value alone. A search
// keeps the programmes in every chosen set (the view's filters are independent, so that is
// what the view returns for the combination): the others' rows are hidden, in the picture
// and in the table, and the rows left move up.
(function () {
  "use strict";
  var form = document.getElementById("map-filters");
  var source = document.getElementById("map-data-json");
  if (!form || !source) { return; }
  var data = JSON.parse(source.textContent);
  var svg = document.querySelector("svg.evidence-map");
  var count = document.getElementById("map-count");
  var rows = document.querySelectorAll("table.map-data tbody tr[data-programme]");

  function chosen() {
    var found = {};
    Array.prototype.forEach.call(form.querySelectorAll("select, input"), function (field) {
      if (field.name && field.value) { found[field.name] = field.value; }
    });
    return found;
  }

  function kept(values) {
    var keep = null;
    Object.keys(values).forEach(function (name) {
      var allowed = {};
      ((data.matches[name] || {})[values[name]] || []).forEach(function (i) {
        if (keep === null || keep[i]) { allowed[i] = true; }
      });
      keep = allowed;
    });
    return keep;
  }

  function show(values) {
    var keep = kept(values);
    var here = {};
    var left = {};
    Array.prototype.forEach.call(rows, function (tr) {
      var programme = tr.getAttribute("data-programme");
      here[programme] = true;
      tr.hidden = keep !== null && !keep[programme];
      if (!tr.hidden) { left[programme] = true; }
    });
    if (svg) {
      var top = Number(svg.getAttribute("data-top"));
      var height = Number(svg.getAttribute("data-row-height"));
      var shown = 0;
      Array.prototype.forEach.call(svg.querySelectorAll("g.map-row"), function (row) {
        if (keep === null || keep[row.getAttribute("data-programme")]) {
          row.removeAttribute("display");
          row.setAttribute("transform", "translate(0," + (top + shown * height) + ")");
          shown += 1;
        } else {
          row.setAttribute("display", "none");
        }
      });
      var bottom = top + shown * height;
      var total = bottom + Number(svg.getAttribute("data-legend-height"));
      svg.querySelector("g.map-legend").setAttribute("transform", "translate(0," + bottom + ")");
      svg.setAttribute("height", String(total));
      svg.setAttribute("viewBox", "0 0 " + svg.getAttribute("width") + " " + total);
    }
    var all = Object.keys(here).length;
    var found = Object.keys(left).length;
    var paged = all < data.count;
    count.textContent = keep === null
      ? all + (all === 1 ? " programme" : " programmes") + (paged ? " on this page" : "") + "."
      : found
        ? found + " of " + all + " programmes" + (paged ? " on this page" : "") + " match your choices."
        : "No programme" + (paged ? " on this page" : "") + " matches all your choices.";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(chosen());
  });
  // A link with the choices in its query string (map.html?age_group=...) opens them.
  var given = new URLSearchParams(window.location.search);
  given.forEach(function (value, name) {
    var field = form.elements.namedItem(name);
    if (field) { field.value = value; }
  });
  show(chosen());
})();
