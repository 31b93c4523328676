(function () {
  "use strict";
  // Each distinct list of reasons and of services is in the page once (html.py _trace_data).
  var traceData = JSON.parse(document.getElementById("traces").textContent || "{}");
  function traceOf(key) {
    var head = (traceData.docs || {})[key];
    if (!head) { return null; }
    var doc = {};
    Object.keys(head).forEach(function (k) { if (k !== "r") { doc[k] = head[k]; } });
    doc.reasons = traceData.reasons[head.r] || [];
    doc.services = traceData.services[head.s] || [];
    return doc;
  }
  // The selected result's path on the diagrams: html.py puts the path of each list of
  // service results under its key (diagram_path.py places the hops); every path starts
  // at the instance and its subnet.
  var STATES = ["path-stop", "path-fail", "path-unknown", "path-pass"];
  var shownKey = null;

  function each(selector, fn) { Array.prototype.forEach.call(document.querySelectorAll(selector), fn); }

  function drawn(attr, value) {
    var found = document.querySelectorAll("svg.vpc-diagram [" + attr + "=\"" + CSS.escape(value) + "\"]");
    return Array.prototype.slice.call(found);
  }

  // A route table or network ACL is drawn in every subnet that uses it: where the
  // instance's own subnet shows it, only that one is on the path.
  function placeNodes(ref, doc, own) {
    if (ref === null) { return drawn("data-instance", doc.instance); }
    var found = drawn("data-resource", ref);
    var labels = found.filter(function (n) { return n.tagName.toLowerCase() === "tspan"; });
    var near = labels.filter(function (n) { return own.indexOf(n.closest("g.subnet")) >= 0; });
    if (!near.length) { return found; }
    return found.filter(function (n) { return labels.indexOf(n) < 0 || near.indexOf(n) >= 0; });
  }

  function clearPath() {
    shownKey = null;
    each("svg.vpc-diagram .on-path, svg.vpc-diagram .path-near", function (n) {
      n.classList.remove("on-path", "path-near", "path-stop", "path-fail", "path-unknown", "path-pass");
    });
    each("svg.vpc-diagram.path-shown", function (svg) { svg.classList.remove("path-shown"); });
    var bar = document.getElementById("path-bar");
    if (bar) { bar.hidden = true; }
  }

  function pathSteps(doc) {
    var steps = (traceData.paths || {})[doc.s] || [];
    var refs = steps.map(function (st) { return st[0]; });
    var start = [];
    if (refs.indexOf(null) < 0) { start.push([null, "pass", "instance"]); }
    if (doc.subnet && refs.indexOf(doc.subnet) < 0) { start.push([doc.subnet, "pass", "subnet"]); }
    return start.concat(steps);
  }

  function showPath(key, doc) {
    clearPath();
    shownKey = key;
    var own = doc.subnet ? drawn("data-resource", doc.subnet).filter(function (n) { return n.matches("g.subnet"); }) : [];
    var stops = [];
    var count = 0;
    pathSteps(doc).forEach(function (st) {
      var nodes = placeNodes(st[0], doc, own);
      nodes.forEach(function (n) {
        n.classList.add("on-path", "path-" + st[1]);
        var box = n.closest("g.subnet");
        if (box && box !== n && !box.classList.contains("on-path")) { box.classList.add("path-near"); }
        n.closest("svg.vpc-diagram").classList.add("path-shown");
      });
      if (nodes.length) { count += 1; }
      if (st[1] === "stop") { stops.push((st[0] === null ? doc.instance : st[0]) + " (" + st[2] + ")"); }
    });
    var bar = document.getElementById("path-bar");
    var status = document.getElementById("path-status");
    if (status) {
      var text = "Path of " + (doc.name ? doc.name + " (" + doc.instance + ")" : doc.instance) + " \u00b7 " + doc.feature + ", " + doc.verdict + ": " + count + " resource" + (count === 1 ? "" : "s") + " on the diagrams";
      status.textContent = text + (stops.length ? "; stops at " + stops.join(", ") : "");
    }
    if (bar) { bar.hidden = false; }
  }

  var table = document.getElementById("matrix");
  var state = { verdict: "", feature: "", account: "", vpc: "", query: "" };
  var MARK = { pass: "\u2713", fail: "\u2717", unknown: "?" };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function rows() {
    return table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr.row")) : [];
  }

  function cellsOf(row) {
    return Array.prototype.slice.call(row.querySelectorAll("td[data-feature]"));
  }

  function applyFilters() {
    if (!table) { return; }
    var shown = 0;
    var all = rows();
    Array.prototype.forEach.call(table.querySelectorAll("[data-feature]"), function (node) {
      node.hidden = !!state.feature && node.getAttribute("data-feature") !== state.feature;
    });
    all.forEach(function (row) {
      var visible = true;
      if (state.account && row.getAttribute("data-account") !== state.account) { visible = false; }
      if (state.vpc && row.getAttribute("data-vpc") !== state.vpc) { visible = false; }
      if (visible && state.query && row.getAttribute("data-search").indexOf(state.query) < 0) { visible = false; }
      if (visible && state.verdict) {
        visible = cellsOf(row).some(function (cell) {
          return !cell.hidden && cell.getAttribute("data-verdict") === state.verdict;
        });
      }
      row.hidden = !visible;
      var next = row.nextElementSibling;
      if (next && next.classList.contains("trace-row")) { next.hidden = !visible; }
      if (visible) { shown += 1; }
    });
    var counter = document.getElementById("shown");
    if (counter) { counter.textContent = "showing " + shown + " of " + all.length + " instances"; }
  }

  function reasonList(reasons) {
    var list = el("ul", "reasons");
    reasons.forEach(function (r) {
      var item = el("li");
      item.appendChild(el("strong", null, r.severity + " " + r.code));
      if (r.resource) { item.appendChild(document.createTextNode(" on ")); item.appendChild(el("code", null, r.resource)); }
      item.appendChild(document.createTextNode(": " + r.message));
      if (r.fix) { item.appendChild(el("div", "fix", "Fix: " + r.fix)); }
      list.appendChild(item);
    });
    return list;
  }

  function renderTrace(key, doc) {
    var box = el("div", "trace");
    var head = el("h4");
    head.appendChild(document.createTextNode((doc.name ? doc.name + " (" + doc.instance + ")" : doc.instance) + " \u00b7 " + doc.feature + " "));
    head.appendChild(el("span", "badge v-" + doc.verdict, doc.verdict));
    var go = el("button", "path-goto", "show the path on the network diagram");
    go.type = "button";
    go.setAttribute("data-key", key);
    head.appendChild(document.createTextNode(" "));
    head.appendChild(go);
    box.appendChild(head);
    box.appendChild(el("div", "dim", doc.account + " / " + doc.region + " \u00b7 " + (doc.vpc || "-") + " / " + (doc.subnet || "-")));
    if (doc.reasons.length) { box.appendChild(reasonList(doc.reasons)); }
    doc.services.forEach(function (s) {
      var part = el("div", "service");
      var sh = el("div", "service-head");
      sh.appendChild(document.createTextNode(s.service + " "));
      sh.appendChild(el("span", "badge v-" + s.verdict, s.verdict));
      sh.appendChild(el("span", "dim", "  " + (s.host || "?") + " via " + (s.via || "-")));
      part.appendChild(sh);
      var hops = el("ol");
      s.hops.forEach(function (h) {
        var li = el("li");
        li.appendChild(el("span", "mark " + h.result, MARK[h.result] || "?"));
        li.appendChild(el("span", "step", h.step));
        li.appendChild(document.createTextNode(" " + h.detail));
        hops.appendChild(li);
      });
      if (!s.hops.length) { hops.appendChild(el("li", "dim", "no hops recorded")); }
      part.appendChild(hops);
      box.appendChild(part);
    });
    return box;
  }

  function toggleTrace(button) {
    var row = button.closest("tr");
    var key = button.getAttribute("data-key");
    var next = row.nextElementSibling;
    var open = next && next.classList.contains("trace-row") ? next : null;
    var wasKey = open ? open.getAttribute("data-key") : null;
    if (open) {
      open.remove();
      Array.prototype.forEach.call(row.querySelectorAll("button.verdict"), function (b) { b.setAttribute("aria-expanded", "false"); });
    }
    if (wasKey === key) {
      if (shownKey === key) { clearPath(); }
      return;
    }
    var doc = traceOf(key);
    if (!doc) { return; }
    showPath(key, doc);
    var tr = el("tr", "trace-row");
    tr.setAttribute("data-key", key);
    var td = el("td");
    td.colSpan = row.children.length;
    td.appendChild(renderTrace(key, doc));
    tr.appendChild(td);
    row.parentNode.insertBefore(tr, row.nextSibling);
    button.setAttribute("aria-expanded", "true");
  }

  function gotoInstance(iid) {
    var row = document.getElementById("row-" + iid);
    if (!row) { return; }
    if (row.hidden) {
      state = { verdict: "", feature: "", account: "", vpc: "", query: "" };
      resetControls();
      applyFilters();
    }
    row.scrollIntoView({ block: "center" });
    row.classList.add("flash");
    window.setTimeout(function () { row.classList.remove("flash"); }, 1600);
  }

  function resetControls() {
    Array.prototype.forEach.call(document.querySelectorAll("#verdict-filter button"), function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-verdict") === "" ? "true" : "false");
    });
    ["feature-filter", "account-filter", "vpc-filter", "search"].forEach(function (id) {
      var node = document.getElementById(id);
      if (node) { node.value = ""; }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("#verdict-filter button"), function (button) {
    button.addEventListener("click", function () {
      state.verdict = button.getAttribute("data-verdict");
      Array.prototype.forEach.call(document.querySelectorAll("#verdict-filter button"), function (b) {
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
      applyFilters();
    });
  });
  var feature = document.getElementById("feature-filter");
  if (feature) { feature.addEventListener("change", function () { state.feature = feature.value; applyFilters(); }); }
  var account = document.getElementById("account-filter");
  if (account) { account.addEventListener("change", function () { state.account = account.value; applyFilters(); }); }
  var vpc = document.getElementById("vpc-filter");
  if (vpc) { vpc.addEventListener("change", function () { state.vpc = vpc.value; applyFilters(); }); }
  var search = document.getElementById("search");
  if (search) { search.addEventListener("input", function () { state.query = search.value.trim().toLowerCase(); applyFilters(); }); }
  if (table) {
    table.addEventListener("click", function (event) {
      var button = event.target.closest("button.verdict");
      if (button) { toggleTrace(button); }
    });
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-goto]");
    if (link) { event.preventDefault(); gotoInstance(link.getAttribute("data-goto")); return; }
    var chip = event.target.closest("svg [data-instance]");
    if (chip) { gotoInstance(chip.getAttribute("data-instance")); return; }
    var go = event.target.closest("button.path-goto");
    if (go) {
      var key = go.getAttribute("data-key");
      var doc = traceOf(key);
      if (doc && shownKey !== key) { showPath(key, doc); }
      var first = document.querySelector("svg.vpc-diagram.path-shown");
      if (first) { first.closest("figure").scrollIntoView({ block: "start" }); }
      return;
    }
    if (event.target.closest("#path-clear")) { clearPath(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && shownKey !== null) { clearPath(); }
  });
  applyFilters();
}());
