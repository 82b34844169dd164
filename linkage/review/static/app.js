/* The review app's page: queues, the pair view and the cluster view, keyboard first.
   Talks only to its own server (/api/...); builds the DOM with textContent, never innerHTML. */
"use strict";
(() => {
  const STRINGS = JSON.parse(document.getElementById("i18n").textContent);
  const TOKEN = document.querySelector('meta[name="review-token"]').content;
  const main = document.getElementById("main");
  let lang = localStorage.getItem("linkage-review-lang") === "en" ? "en" : "zh";
  let reveal = false;
  let keys = {};  // what each key does on the page shown now
  let renders = 0;  // a page drawn by an older render (the hash changed meanwhile) is dropped

  if (new URLSearchParams(location.search).has("token")) {
    history.replaceState(null, "", "/" + location.hash);  // the cookie carries it from here
  }

  function t(key, vars = {}) {
    const text = STRINGS[lang][key];
    if (text === undefined) return key;
    return text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  }

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
    }
    return el;
  }

  async function api(path, body) {
    const response = await fetch(path, {
      method: body ? "POST" : "GET",
      headers: {"X-Review-Token": TOKEN, ...(body ? {"Content-Type": "application/json"} : {})},
      body: body ? JSON.stringify(body) : undefined,
      credentials: "same-origin",
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  function say(text, error = false) {
    const el = document.getElementById("status");
    el.textContent = text;
    el.className = error ? "error" : "ok";
  }

  const fmt = (x, digits = 2) => (x === null || x === undefined ? "" : Number(x).toFixed(digits));
  const signed = (x) => (x >= 0 ? "+" : "") + fmt(x);
  const entityName = (e) => t(e);
  const reasonText = (reason) => reason.split(" ").map((r) => {
    const [code, column] = r.split(":");
    return t("reason_" + code, {column: column ? t("attr_" + column) : ""});
  }).join("；");

  function ready(what) {  // what was drawn, and for which route (tests wait on both)
    document.body.dataset.ready = what;
    document.body.dataset.route = location.hash;
    window.__rendered = performance.now();
  }

  // --- routes ------------------------------------------------------------------------------
  function parseHash() {
    const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
    return {parts: path.split("/").filter(Boolean).map(decodeURIComponent),
            params: new URLSearchParams(query || "")};
  }

  async function render() {
    keys = {};
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.getElementById("title").textContent = t("title");
    document.getElementById("lang").textContent = t("switch");
    document.title = t("title") + " · linkage";
    const {parts, params} = parseHash();
    delete document.body.dataset.ready;
    const seq = ++renders;
    const load = async (path) => {
      const data = await api(path);
      if (seq !== renders) throw new Error("stale");
      return data;
    };
    try {
      if (parts[0] === "queue") await queuePage(load, parts[1], Number(params.get("offset") || 0),
                                                params.get("pending") === "1");
      else if (parts[0] === "item") await itemPage(load, parts[1], Number(parts[2]));
      else if (parts[0] === "cluster") await directPage(load, `/api/cluster/${encodeURIComponent(parts[1])}`);
      else if (parts[0] === "pair") await directPage(load, `/api/pair/${Number(parts[1])}/${Number(parts[2])}`);
      else await home(load);
    } catch (err) {
      if (err.message !== "stale") say(t("error", {message: err.message}), true);
    }
  }

  async function home(load) {
    const state = await load("/api/state");
    main.replaceChildren(
      h("h1", null, t("home")),
      h("p", {class: "meta"}, t("reviewer", {name: state.reviewer}), h("br"),
        t("labels_file", {path: state.labels, rows: state.labels_saved}), h("br"),
        t("output", {path: state.output})),
      h("div", {class: "queues"}, state.queues.map((q) => h("a", {class: "queue", href: `#/queue/${q.name}?pending=1`, id: `queue-${q.name}`},
        h("h2", null, t("q_" + q.name)),
        h("p", null, t("intro_" + q.name)),
        progress(q.done, q.total)))));
    ready("home");
  }

  function progress(done, total) {
    const bar = h("div", {class: "bar"});
    bar.style.width = total ? `${(100 * done) / total}%` : "0";
    return h("div", {class: "progress", "data-done": done, "data-total": total},
      h("div", {class: "track"}, bar), h("span", null, t("progress", {done, total})));
  }

  async function queuePage(load, name, offset, pending) {
    const limit = 100;
    const data = await load(`/api/queue/${name}?offset=${offset}&limit=${limit}&pending=${pending ? 1 : 0}`);
    const link = (o, p) => `#/queue/${name}?offset=${Math.max(o, 0)}${p ? "&pending=1" : ""}`;
    const pairs = data.items.length && data.items[0].kind === "pair";
    const head = pairs ? ["col_pair", "col_reason", "col_probability", "col_status"]
                       : ["col_entity", "col_records", "col_reason", "col_status"];
    const rows = data.items.map((it) => h("tr", {class: it.status ? "done" : "pending"},
      h("td", null, h("a", {href: `#/item/${name}/${it.index}`},
        it.kind === "pair" ? `${it.name_l || it.record_id_l} — ${it.name_r || it.record_id_r}` : it.entity_id),
        " ", h("small", null, entityName(it.entity_type))),
      it.kind === "pair" ? null : h("td", {class: "num"}, it.records),
      h("td", null, reasonText(it.reason)),
      it.kind === "pair" ? h("td", {class: "num"}, fmt(it.match_probability, 4)) : null,
      h("td", null, it.status ? t(it.status) : t("pending"))));
    main.replaceChildren(
      h("h1", null, t("q_" + name)), h("p", null, t("intro_" + name)),
      h("p", {class: "tools"},
        h("a", {href: link(0, !pending)}, pending ? t("show_all") : t("pending_only")), " · ",
        data.matching ? t("page_of", {from: offset + 1, to: offset + data.items.length, total: data.matching}) : "",
        " ", offset > 0 ? h("a", {href: link(offset - limit, pending)}, t("prev_page")) : null,
        " ", offset + limit < data.matching ? h("a", {href: link(offset + limit, pending)}, t("next_page")) : null),
      data.items.length
        ? h("table", {class: "list", id: "queue-table"},
            h("thead", null, h("tr", null, head.map((k) => h("th", null, t(k))))), h("tbody", null, rows))
        : h("p", null, data.total ? t("all_done") : t("empty")));
    ready("queue");
  }

  async function itemPage(load, name, index) {
    const data = await load(`/api/item/${name}/${index}?reveal=${reveal ? 1 : 0}`);
    const ctx = {queue: name, index, total: data.total, next: data.next, status: data.status,
                 reason: data.reason};
    if (data.kind === "pair") renderPair(data.view, ctx); else renderCluster(data.view, ctx);
  }

  async function directPage(load, path) {
    const data = await load(`${path}?reveal=${reveal ? 1 : 0}`);
    if (data.view.entity_id !== undefined && data.view.links) renderCluster(data.view, {});
    else renderPair(data.view, {});
  }

  // --- decisions ---------------------------------------------------------------------------
  function goNext(ctx, next) {
    if (next === null || next === undefined) location.hash = `#/queue/${ctx.queue}`;
    else if (`#/item/${ctx.queue}/${next}` === location.hash) render();
    else location.hash = `#/item/${ctx.queue}/${next}`;
  }

  async function act(path, body, ctx) {
    try {
      const res = await api(path, body);
      say(`${t("saved")} (${res.saved})`);
      if (ctx.queue) goNext(ctx, res.next); else render();
    } catch (err) {
      say(t("error", {message: err.message}), true);
    }
  }

  async function undo() {
    try {
      const res = await api("/api/undo", {});
      say(t("undone", {n: res.undone}));
      const target = res.index !== null && res.queue && !["cluster", "pair"].includes(res.queue)
        ? `#/item/${res.queue}/${res.index}` : location.hash;
      if (target === location.hash) render(); else location.hash = target;
    } catch (err) {
      say(t("error", {message: err.message}), true);
    }
  }

  function toolbar(ctx, buttons) {
    const nav = [];
    if (ctx.queue) {
      nav.push(h("a", {href: `#/queue/${ctx.queue}?pending=1`}, t("q_" + ctx.queue)), " · ",
        t("item_of", {n: ctx.index + 1, total: ctx.total}), " · ",
        h("span", {class: "badge " + (ctx.status || "pending"), id: "decision"},
          ctx.status ? t(ctx.status) : t("pending")),
        ctx.reason ? h("span", {class: "reason"}, " " + reasonText(ctx.reason)) : null);
      keys.n = () => goNext(ctx, ctx.index + 1 < ctx.total ? ctx.index + 1 : null);
      keys.b = () => { if (ctx.index > 0) location.hash = `#/item/${ctx.queue}/${ctx.index - 1}`; };
    }
    keys.z = undo;
    keys.r = () => { reveal = !reveal; render(); };
    const all = [...buttons,
      ...(ctx.queue ? [["b", "back"], ["n", "skip"]] : []), ["z", "undo"], ["r", reveal ? "hide" : "reveal"]];
    return h("div", {class: "toolbar"}, h("p", null, nav),
      h("p", {class: "buttons"}, all.map(([key, label, cls]) =>
        h("button", {type: "button", class: cls || "", "data-key": key, onclick: () => keys[key]()},
          `${t(label)} (${key.toUpperCase()})`))));
  }

  // --- the pair view -------------------------------------------------------------------------
  function renderPair(v, ctx) {
    const queue = ctx.queue || "pair";
    for (const [key, decision] of [["s", "same"], ["d", "different"], ["u", "unsure"]]) {
      keys[key] = () => (ctx.queue
        ? act("/api/label", {queue: ctx.queue, index: ctx.index, decision}, ctx)
        : say(t("error", {message: "open the pair from a queue to decide it"}), true));
    }
    const lineage = v.records.map((r, i) => h("div", {class: "record"},
      h("h3", null, t(i ? "record_b" : "record_a"), " ", h("small", null, `#${r.record_id}`)),
      h("p", null, `${t("source")}: ${r.title || r.source} (${r.source})`),
      h("p", null, `${t("file")}: ${r.file || ""}`,
        r.sheet !== null && r.sheet !== undefined ? ` · ${t("sheet")}: ${typeof r.sheet === "number" ? "#" + (r.sheet + 1) : r.sheet}` : "",
        r.table ? ` · ${t("table")}: ${r.table}` : ""),
      h("p", null, t("data_row", {row: r.source_row}), r.file_row ? t("file_row", {row: r.file_row}) : ""),
      h("p", null, `${t("entity")}: `, h("a", {href: `#/cluster/${encodeURIComponent(r.entity_id)}`}, r.entity_id))));
    const label = (f) => (lang === "zh" ? f.label_zh : f.label);
    const fields = h("table", {class: "fields", id: "fields"},
      h("thead", null, h("tr", null, h("th", null, t("field")),
        h("th", null, t("record_a")), h("th", null, t("record_b")), h("th", null, t("level")))),
      h("tbody", null, v.fields.map((f) => h("tr", {class: "lvl-" + f["class"]},
        h("th", null, label(f)),
        f.values.map((x) => h("td", null, h("div", null, x.normalized ?? "—"),
          x.raw !== null && x.raw !== x.normalized ? h("div", {class: "raw"}, `${t("raw")}: ${x.raw}`) : null)),
        h("td", null, f.level === null ? "" : f.implied_by
          ? t("implied", {by: t("attr_" + f.implied_by)})
          : `${lang === "zh" ? f.level_zh : f.level} · `
            + (f.grouped ? t("grouped", {group: f.grouped}) : t("class_" + f["class"]))
            + (f["class"] === "neutral" ? "" : ` ${signed(f.weight)}`))))));
    main.replaceChildren(
      toolbar(ctx, [["s", "same", "same"], ["d", "different", "different"], ["u", "unsure", "unsure"]]),
      h("p", {class: "now " + (v.same_entity ? "together" : "apart")},
        `${entityName(v.entity_type)} · ${v.same_entity ? t("same_entity_now") : t("apart_now")}`),
      h("div", {class: "records"}, lineage),
      fields,
      waterfall(v.waterfall),
      h("p", {class: "hint"}, t("keys")));
    main.dataset.queue = queue;
    ready("pair");
  }

  function waterfall(w) {
    const steps = [{name: t("prior"), level: "", weight: w.prior},
      ...w.steps.map((s) => ({name: s.comparison, level: lang === "zh" ? s.level_zh : s.level, weight: s.weight}))];
    let running = 0;
    const spans = steps.map((s) => { const before = running; running += s.weight; return [before, running]; });
    const scale = Math.max(8, ...spans.flat().map(Math.abs));
    const pos = (x) => ((Math.max(-scale, Math.min(scale, x)) + scale) / (2 * scale)) * 100;
    const rows = steps.map((s, i) => {
      const [a, b] = spans[i];
      const bar = h("div", {class: "wbar " + (s.weight >= 0 ? "up" : "down")});
      bar.style.left = `${pos(Math.min(a, b))}%`;
      bar.style.width = `${Math.max(pos(Math.max(a, b)) - pos(Math.min(a, b)), 0.3)}%`;
      return h("tr", null, h("th", null, s.name), h("td", null, s.level),
        h("td", {class: "num"}, signed(s.weight)), h("td", {class: "num"}, signed(b)),
        h("td", {class: "wtrack"}, h("div", {class: "axis"}), bar));
    });
    const notes = [t("probability", {p: fmt(w.probability, 4), t: w.threshold})];
    if (w.rule) notes.push(t("rule", {rule: t("rule_" + w.rule)}));
    return h("section", {class: "waterfall", id: "waterfall"}, h("h3", null, t("waterfall")),
      h("table", null, h("tbody", null, rows,
        h("tr", {class: "total"}, h("th", null, t("total")), h("td"), h("td", {class: "num"}, signed(w.total)),
          h("td"), h("td")))),
      h("p", null, notes.join(" · ")), w.scored ? null : h("p", {class: "hint"}, t("computed")));
  }

  // --- the cluster view ----------------------------------------------------------------------
  function renderCluster(v, ctx) {
    const queue = ctx.queue || "cluster";
    const chosen = () => [...main.querySelectorAll("input.pick:checked")].map((el) => Number(el.value));
    keys.x = () => {
      const records = chosen();
      if (!records.length || records.length === v.records.length) { say(t("choose_records"), true); return; }
      act("/api/split", {entity_id: v.entity_id, records, queue, index: ctx.queue ? ctx.index : null}, ctx);
    };
    keys.c = () => act("/api/confirm", {entity_id: v.entity_id, queue, index: ctx.queue ? ctx.index : null}, ctx);
    const label = (c) => (lang === "zh" ? c.label_zh : c.label);
    const records = h("table", {class: "list", id: "cluster-records"},
      h("thead", null, h("tr", null, h("th", null, t("select")), h("th", null, t("source")),
        h("th", null, t("row_header")), v.columns.map((c) => h("th", null, label(c))))),
      h("tbody", null, v.records.map((r) => h("tr", null,
        h("td", null, h("input", {type: "checkbox", class: "pick", value: r.record_id,
                                  "aria-label": `${t("select")} ${r.record_id}`})),
        h("td", null, `${r.title || r.source} (${r.source})`),
        h("td", {class: "num"}, r.source_row),
        r.values.map((x) => h("td", null, x ?? "—"))))));
    const byId = Object.fromEntries(v.records.map((r) => [r.record_id, r]));
    const links = h("table", {class: "list", id: "cluster-links"},
      h("thead", null, h("tr", null, h("th", null, t("col_pair")), h("th", null, t("link_weight")),
        h("th", null, t("col_probability")), h("th", null, ""))),
      h("tbody", null, v.links.map((l) => h("tr", {class: l.linked ? "linked" : "weak"},
        h("td", null, h("a", {href: `#/pair/${l.record_id_l}/${l.record_id_r}`},
          `${byId[l.record_id_l]?.values[0] ?? l.record_id_l} — ${byId[l.record_id_r]?.values[0] ?? l.record_id_r}`),
          ` (#${l.record_id_l}, #${l.record_id_r})`),
        h("td", {class: "num"}, signed(l.match_weight)),
        h("td", {class: "num"}, fmt(l.match_probability, 4)),
        h("td", null, l.linked ? t("linked") : t("not_linked"),
          l.rule ? ` · ${t("rule_" + l.rule)}` : "")))));
    main.replaceChildren(
      toolbar(ctx, [["x", "split", "different"], ["c", "confirm", "same"]]),
      h("h2", null, `${entityName(v.entity_type)} ${v.entity_id}`),
      records, h("h3", null, t("links")), links, h("p", {class: "hint"}, t("keys_cluster")));
    ready("cluster");
  }

  // --- keyboard and language ---------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const action = keys[event.key.toLowerCase()];
    if (action && !(event.target instanceof HTMLInputElement && event.target.type === "text")) {
      event.preventDefault();
      action();
    }
  });
  document.getElementById("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("linkage-review-lang", lang);
    render();
  });
  window.addEventListener("hashchange", render);
  render();
})();
