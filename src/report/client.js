// The report page's script (plain browser JavaScript, inlined by page.ts): pan and zoom on
// both graphs, selection that links a fused node to the original nodes it replaced (and back),
// search by node name, and links from the tables into the graphs.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var nodes = {};
  data.before.forEach(function (n) { nodes[n.key] = n; });
  data.after.forEach(function (n) { nodes[n.key] = n; });
  var fusedByKey = {};
  var fusedOf = {};
  data.fused.forEach(function (f) {
    fusedByKey[f.key] = f;
    f.origins.forEach(function (k) { (fusedOf[k] = fusedOf[k] || []).push(f.key); });
  });
  var groupOf = {};
  Object.keys(data.groups).forEach(function (g) { data.groups[g].forEach(function (k) { groupOf[k] = g; }); });
  var byName = { b: {}, a: {} };
  data.before.forEach(function (n) { byName.b[n.name] = n.key; });
  data.after.forEach(function (n) { byName.a[n.name] = n.key; });

  var panes = {};
  ["before", "after"].forEach(function (id) {
    var svg = document.querySelector("#" + id + " > svg");
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    var pz = svgPanZoom(svg, { controlIconsEnabled: true, dblClickZoomEnabled: false, minZoom: 0.02, maxZoom: 60, fit: true, center: true, zoomScaleSensitivity: 0.3 });
    panes[id] = { svg: svg, pz: pz };
    // A tall graph fitted whole is a thin line: start at its top, at a readable scale, instead.
    var s = pz.getSizes();
    var readable = Math.min(1, (0.95 * s.width) / s.viewBox.width);
    if (s.realZoom < 0.6 * readable) {
      pz.zoom((pz.getZoom() * readable) / s.realZoom);
      pz.pan({ x: (s.width - s.viewBox.width * readable) / 2 - s.viewBox.x * readable, y: 8 - s.viewBox.y * readable });
    }
    svg.addEventListener("click", function (event) {
      var g = event.target.closest("g.node");
      if (g) select(g.id);
    });
  });

  /** The SVG element that draws `key` (its region box when collapsed). */
  function element(key) {
    var id = groupOf[key] || key;
    return document.getElementById(id);
  }

  function paneOf(key) {
    return key.charAt(0) === "a" ? "after" : "before";
  }

  function clearClass(cls) {
    document.querySelectorAll("svg g." + cls).forEach(function (e) { e.classList.remove(cls); });
  }

  /** Pans and zooms `pane` so that `keys` are in view. */
  function focus(pane, keys) {
    var p = panes[pane];
    var box = null;
    keys.forEach(function (k) {
      var e = element(k);
      if (!e) return;
      var r = e.getBoundingClientRect();
      box = box ? { l: Math.min(box.l, r.left), t: Math.min(box.t, r.top), r: Math.max(box.r, r.right), b: Math.max(box.b, r.bottom) } : { l: r.left, t: r.top, r: r.right, b: r.bottom };
    });
    if (!box) return;
    var s = p.svg.getBoundingClientRect();
    p.pz.panBy({ x: s.left + s.width / 2 - (box.l + box.r) / 2, y: s.top + s.height / 2 - (box.t + box.b) / 2 });
    var factor = Math.min((0.7 * s.width) / Math.max(1, box.r - box.l), (0.7 * s.height) / Math.max(1, box.b - box.t));
    var sizes = p.pz.getSizes();
    factor = Math.min(factor, 1.6 / sizes.realZoom);
    p.pz.zoomAtPoint(p.pz.getZoom() * factor, { x: s.width / 2, y: s.height / 2 });
  }

  function link(key) {
    var n = nodes[key];
    return '<a href="#' + key + '" data-key="' + key + '">' + esc(n ? n.name : key) + "</a> <small>" + esc(n ? n.op : "") + "</small>";
  }

  /** Selects a node: highlights it, what it replaced or what replaced it, and shows details. */
  function select(key) {
    if (data.groups[key]) {
      details("<h3>Unchanged region</h3><p>" + data.groups[key].length + " nodes no rule touched:</p><ul>" + data.groups[key].map(function (k) { return "<li>" + link(k) + "</li>"; }).join("") + "</ul>");
      return;
    }
    var n = nodes[key];
    if (!n) return;
    clearClass("hl");
    var after = [], before = [], html = "";
    if (paneOf(key) === "after") {
      after = [key];
      var f = fusedByKey[key];
      if (f) {
        before = f.origins;
        html = "<h3>" + esc(n.name) + " <small>" + esc(n.op) + "</small></h3><p>Built by " + esc(f.rules.join(" → ")) + "; replaces " + f.origins.length + " original node(s):</p><ul class=\"replaces\">" +
          f.origins.map(function (k) { return "<li>" + link(k) + "</li>"; }).join("") + "</ul>";
      } else {
        if (byName.b[n.name]) before = [byName.b[n.name]];
        html = "<h3>" + esc(n.name) + " <small>" + esc(n.op) + "</small></h3><p>Unchanged by the rules.</p>";
      }
    } else {
      before = [key];
      var by = fusedOf[key] || [];
      if (by.length > 0) {
        after = by;
        by.forEach(function (k) { fusedByKey[k].origins.forEach(function (o) { if (before.indexOf(o) < 0) before.push(o); }); });
        html = "<h3>" + esc(n.name) + " <small>" + esc(n.op) + "</small></h3><p>Replaced by:</p><ul>" + by.map(function (k) { return "<li>" + link(k) + "</li>"; }).join("") + "</ul>";
      } else if (byName.a[n.name]) {
        after = [byName.a[n.name]];
        html = "<h3>" + esc(n.name) + " <small>" + esc(n.op) + "</small></h3><p>Unchanged by the rules.</p>";
      } else {
        html = "<h3>" + esc(n.name) + " <small>" + esc(n.op) + "</small></h3><p>Removed without a fused replacement: folded into a constant, replaced by an existing value, or read by nobody.</p>";
      }
    }
    if (n.attrs) html += "<p><code>" + esc(n.attrs) + "</code></p>";
    before.concat(after).forEach(function (k) { var e = element(k); if (e) e.classList.add("hl"); });
    details(html);
    if (before.length) focus("before", before);
    if (after.length) focus("after", after);
    document.querySelectorAll("tr.selected").forEach(function (r) { r.classList.remove("selected"); });
    var row = document.querySelector('tr[data-fused="' + (after[0] || "") + '"]');
    if (row) row.classList.add("selected");
  }

  function details(html) {
    document.getElementById("details").innerHTML = html;
  }

  document.addEventListener("click", function (event) {
    var a = event.target.closest("a[data-key]");
    if (!a) return;
    event.preventDefault();
    select(a.getAttribute("data-key"));
    if (a.closest("table")) document.querySelector("main").scrollIntoView({ behavior: "instant", block: "start" });
  });

  // ── search ──────────────────────────────────────────────────────────────────────────────
  var search = document.getElementById("search");
  var status = document.getElementById("search-status");
  var matches = [];
  var current = -1;
  function runSearch() {
    clearClass("match");
    var text = search.value.trim().toLowerCase();
    matches = [];
    current = -1;
    if (text) {
      data.before.concat(data.after).forEach(function (n) {
        if (n.name.toLowerCase().indexOf(text) >= 0) matches.push(n.key);
      });
      matches.forEach(function (k) { var e = element(k); if (e) e.classList.add("match"); });
    }
    status.textContent = text ? matches.length + " match" + (matches.length === 1 ? "" : "es") : "";
  }
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || matches.length === 0) return;
    current = (current + 1) % matches.length;
    select(matches[current]);
    status.textContent = (current + 1) + " of " + matches.length;
  });

  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  if (location.hash.length > 1) select(location.hash.slice(1));
  document.body.setAttribute("data-ready", "true");
})();
