(function () {
  "use strict";
  // html.py _PageData: the matrix rows as the page loads, the trace tables when a trace
  // is first opened (each distinct list of reasons and of services is in the page once).
  var rowData = JSON.parse((document.getElementById("rows") || {}).textContent || "{}");
  var FEATURES = rowData.features || [];
  var ROWS = rowData.rows || [];
  var R = { id: 0, name: 1, account: 2, region: 3, vpc: 4, subnet: 5, state: 6, worst: 7, cells: 8 };
  var rowIndex = {};
  ROWS.forEach(function (r, i) { rowIndex[r[R.id]] = i; });
  var traceData = null;
  function tables() {
    if (traceData === null) { traceData = JSON.parse(document.getElementById("traces").textContent || "{}"); }
    return traceData;
  }
  function splitKey(key) {
    var cut = key.lastIndexOf("|");
    return [key.slice(0, cut), key.slice(cut + 1)];
  }
  function traceOf(key) {
    var parts = splitKey(key);
    var row = ROWS[rowIndex[parts[0]]];
    var at = FEATURES.indexOf(parts[1]);
    var cell = row && at >= 0 ? row[R.cells][at] : null;
    if (!cell) { return null; }
    var t = tables();
    var doc = {
      instance: row[R.id], account: row[R.account], region: row[R.region], vpc: row[R.vpc],
      subnet: row[R.subnet], name: row[R.name], state: row[R.state], feature: parts[1],
      verdict: cell[0], s: cell[2]
    };
    if (cell.length > 3) { doc.accepted = cell[3]; }
    doc.reasons = t.reasons[cell[1]] || [];
    doc.services = t.services[cell[2]] || [];
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
    var steps = (tables().paths || {})[doc.s] || [];
    var refs = steps.map(function (st) { return st[0]; });
    var start = [];
    if (refs.indexOf(null) < 0) { start.push([null, "pass", "instance"]); }
    if (doc.subnet && refs.indexOf(doc.subnet) < 0) { start.push([doc.subnet, "pass", "subnet"]); }
    return start.concat(steps);
  }

  // html.py LAZY_DIAGRAMS: a large page keeps its diagrams in templates until needed.
  function materialise(tpl) { if (tpl.parentNode) { tpl.replaceWith(tpl.content); } }
  function materialiseFor(refs) {
    each("template.lazy-diagram", function (tpl) {
      var holds = refs.some(function (ref) {
        return tpl.content.querySelector("[data-resource=\"" + CSS.escape(ref) + "\"], [data-instance=\"" + CSS.escape(ref) + "\"]");
      });
      if (holds) { tpl.closest("figure").classList.remove("lazy"); materialise(tpl); }
    });
  }
  if (document.querySelector("template.lazy-diagram")) {
    var watcher = "IntersectionObserver" in window ? new IntersectionObserver(function (seen) {
      seen.forEach(function (entry) {
        if (!entry.isIntersecting) { return; }
        watcher.unobserve(entry.target);
        entry.target.classList.remove("lazy");
        var tpl = entry.target.querySelector("template.lazy-diagram");
        if (tpl) { materialise(tpl); }
      });
    }, { rootMargin: "800px 0px" }) : null;
    each("template.lazy-diagram", function (tpl) {
      if (watcher) { watcher.observe(tpl.closest("figure")); } else { materialise(tpl); }
    });
  }

  function showPath(key, doc) {
    clearPath();
    materialiseFor(pathSteps(doc).map(function (st) { return st[0] === null ? doc.instance : st[0]; }).filter(Boolean));
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

  var PAGE = 100;  // matrix rows drawn at a time
  var page = 0;
  var matching = [];  // indexes into ROWS of the rows the filters let through
  var searchText = ROWS.map(function (r) { return ((r[R.name] || "").toLowerCase()) + " " + r[R.id]; });

  function featureShown(f) { return !state.feature || f === state.feature; }

  function passes(i) {
    var r = ROWS[i];
    if (state.account && r[R.account] !== state.account) { return false; }
    if (state.vpc && (r[R.vpc] || "") !== state.vpc) { return false; }
    if (state.query && searchText[i].indexOf(state.query) < 0) { return false; }
    if (state.verdict) {
      return r[R.cells].some(function (cell, at) {
        return cell !== null && featureShown(FEATURES[at]) && cell[0] === state.verdict;
      });
    }
    return true;
  }

  function drawRow(r) {
    var tr = el("tr", "row");
    var iid = r[R.id];
    tr.id = "row-" + iid;
    tr.setAttribute("data-instance", iid);
    tr.setAttribute("data-account", r[R.account]);
    tr.setAttribute("data-vpc", r[R.vpc] || "");
    tr.setAttribute("data-worst", r[R.worst]);
    var th = el("th");
    th.scope = "row";
    if (r[R.name]) { th.appendChild(document.createTextNode(r[R.name] + " ")); }
    th.appendChild(el("span", "iid", iid));
    tr.appendChild(th);
    var where = el("td");
    where.appendChild(el("span", "dim", r[R.account] + " / " + r[R.region]));
    tr.appendChild(where);
    var net = el("td");
    var dim = el("span", "dim", r[R.vpc] || "-");
    dim.appendChild(el("br"));
    dim.appendChild(document.createTextNode(r[R.subnet] || "-"));
    net.appendChild(dim);
    tr.appendChild(net);
    FEATURES.forEach(function (f, at) {
      var cell = r[R.cells][at];
      var td = el("td");
      td.setAttribute("data-feature", f);
      td.setAttribute("data-verdict", cell ? cell[0] : "");
      td.hidden = !featureShown(f);
      if (cell) {
        var b = el("button", "verdict v-" + cell[0], cell[0]);
        b.type = "button";
        b.setAttribute("data-key", iid + "|" + f);
        b.setAttribute("aria-expanded", "false");
        b.title = "show the hop trace of " + f;
        td.appendChild(b);
      } else {
        td.appendChild(el("span", "dim", "-"));
      }
      tr.appendChild(td);
    });
    return tr;
  }

  function drawPage() {
    if (!table) { return; }
    var pages = Math.max(1, Math.ceil(matching.length / PAGE));
    page = Math.min(Math.max(page, 0), pages - 1);
    var body = table.tBodies[0];
    var fresh = document.createElement("tbody");
    var first = page * PAGE;
    var last = Math.min(first + PAGE, matching.length);
    for (var k = first; k < last; k += 1) { fresh.appendChild(drawRow(ROWS[matching[k]])); }
    table.replaceChild(fresh, body);
    var counter = document.getElementById("shown");
    if (counter) {
      counter.textContent = pages === 1
        ? "showing " + matching.length + " of " + ROWS.length + " instances"
        : "showing " + (first + 1) + "\u2013" + last + " of " + matching.length + " matching, " + ROWS.length + " instances";
    }
    var pager = document.getElementById("pager");
    if (pager) {
      pager.hidden = pages === 1;
      document.getElementById("page-status").textContent = "page " + (page + 1) + " of " + pages;
      document.getElementById("page-prev").disabled = page === 0;
      document.getElementById("page-next").disabled = page === pages - 1;
    }
  }

  function applyFilters() {
    if (!table) { return; }
    Array.prototype.forEach.call(table.tHead.querySelectorAll("[data-feature]"), function (node) {
      node.hidden = !featureShown(node.getAttribute("data-feature"));
    });
    matching = [];
    for (var i = 0; i < ROWS.length; i += 1) { if (passes(i)) { matching.push(i); } }
    page = 0;
    drawPage();
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
    var index = rowIndex[iid];
    if (index === undefined || !table) { return; }
    var at = matching.indexOf(index);
    if (at < 0) {
      state = { verdict: "", feature: "", account: "", vpc: "", query: "" };
      resetControls();
      applyFilters();
      at = matching.indexOf(index);
    }
    if (Math.floor(at / PAGE) !== page) { page = Math.floor(at / PAGE); drawPage(); }
    var row = document.getElementById("row-" + iid);
    if (!row) { return; }
    row.scrollIntoView({ block: "center" });
    row.classList.add("flash");
    window.setTimeout(function () { row.classList.remove("flash"); }, 1600);
  }

  function showMore(button) {
    var list = button.closest("ul");
    var more = (rowData.affected || {})[button.getAttribute("data-finding")] || [];
    button.closest("li").remove();
    more.forEach(function (iid) {
      var row = ROWS[rowIndex[iid]];
      var label = row && row[R.name] ? row[R.name] : iid;
      var li = el("li");
      var a = el("a", null, label);
      a.href = "#row-" + iid;
      a.setAttribute("data-goto", iid);
      li.appendChild(a);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "iid", label !== iid ? iid : ""));
      list.appendChild(li);
    });
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
  var prev = document.getElementById("page-prev");
  if (prev) { prev.addEventListener("click", function () { page -= 1; drawPage(); }); }
  var next = document.getElementById("page-next");
  if (next) { next.addEventListener("click", function () { page += 1; drawPage(); }); }
  document.addEventListener("click", function (event) {
    var more = event.target.closest("button.show-more");
    if (more) { showMore(more); return; }
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
