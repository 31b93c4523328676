(function () {
  "use strict";
  // Each distinct list of reasons and of services is in the page once (html.py _trace_data).
  var traceData = JSON.parse(document.getElementById("traces").textContent || "{}");
  function traceOf(key) {
    var head = (traceData.docs || {})[key];
    if (!head) { return null; }
    var doc = {};
    Object.keys(head).forEach(function (k) { if (k !== "r" && k !== "s") { doc[k] = head[k]; } });
    doc.reasons = traceData.reasons[head.r] || [];
    doc.services = traceData.services[head.s] || [];
    return doc;
  }
  var table = document.getElementById("matrix");
  var state = { verdict: "", feature: "", vpc: "", query: "" };
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

  function renderTrace(doc) {
    var box = el("div", "trace");
    var head = el("h4");
    head.appendChild(document.createTextNode((doc.name ? doc.name + " (" + doc.instance + ")" : doc.instance) + " \u00b7 " + doc.feature + " "));
    head.appendChild(el("span", "badge v-" + doc.verdict, doc.verdict));
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
    if (wasKey === key) { return; }
    var doc = traceOf(key);
    if (!doc) { return; }
    var tr = el("tr", "trace-row");
    tr.setAttribute("data-key", key);
    var td = el("td");
    td.colSpan = row.children.length;
    td.appendChild(renderTrace(doc));
    tr.appendChild(td);
    row.parentNode.insertBefore(tr, row.nextSibling);
    button.setAttribute("aria-expanded", "true");
  }

  function gotoInstance(iid) {
    var row = document.getElementById("row-" + iid);
    if (!row) { return; }
    if (row.hidden) {
      state = { verdict: "", feature: "", vpc: "", query: "" };
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
    ["feature-filter", "vpc-filter", "search"].forEach(function (id) {
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
    if (chip) { gotoInstance(chip.getAttribute("data-instance")); }
  });
  applyFilters();
}());
