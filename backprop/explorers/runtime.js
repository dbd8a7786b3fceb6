// runtime.js: brings the course's explorers to life in a page with no kernel.
//
// When a chapter runs, each explorer (an anywidget) saves its whole state in the
// notebook: its traits, its data (binary buffers, base64) and its front-end module
// (`_esm`). The book's pages carry that state in a
// <script type="application/vnd.jupyter.widget-state+json"> tag and mark each place
// an explorer was shown with a <script type="application/vnd.jupyter.widget-view+json">.
// This script reads both and calls the module's render({model, el}) with a small
// model object offering what the modules use: get, set, on, off, save_changes.
// It replaces the 3.6 MB Jupyter widget manager: the explorers need nothing else,
// and pages without an explorer do not load this file at all.
(function () {
  "use strict";
  const STATE = 'script[type="application/vnd.jupyter.widget-state+json"]';
  const VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]';

  // Decode a base64 buffer into a DataView, as a live kernel would deliver it.
  function dataView(base64) {
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return new DataView(bytes.buffer);
  }

  // Put each binary buffer back at its place (a path of keys) in the trait values.
  function withBuffers(values, buffers) {
    for (const buffer of buffers || []) {
      let place = values;
      const path = buffer.path;
      for (const key of path.slice(0, -1)) place = place[key];
      place[path[path.length - 1]] = dataView(buffer.data);
    }
    return values;
  }

  // The model a front-end module talks to: trait values plus change events.
  function makeModel(values) {
    const listeners = {};
    return {
      get: (name) => values[name],
      set(name, value) {
        if (values[name] === value) return;
        values[name] = value;
        for (const listener of listeners[`change:${name}`] || []) listener();
      },
      on(event, listener) { (listeners[event] = listeners[event] || []).push(listener); },
      off(event, listener) {
        listeners[event] = (listeners[event] || []).filter((l) => l !== listener);
      },
      save_changes() { /* no kernel to tell */ },
      send() { /* no kernel to tell */ },
    };
  }

  // Show a failure where the explorer should be, and log it for the book's check.
  function fail(el, error) {
    el.textContent = `This explorer could not start in your browser (${error}). ` +
      "The figure below shows its first state.";
    el.style.cssText = "color:#b2182b;font:14px system-ui,sans-serif";
    el.classList.add("bp-explorer-failed");
    console.error("explorer:", error);
  }

  // An explorer's traits with its buffers decoded, and its front-end module imported.
  async function loadExplorer(saved) {
    if (saved.model_name !== "AnyModel") throw new Error(`${saved.model_name} is not an explorer`);
    const values = withBuffers(saved.state, saved.buffers);
    const url = URL.createObjectURL(new Blob([values._esm], { type: "text/javascript" }));
    try {
      const module = await import(url);
      return { values, widget: module.default || module };
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  async function renderOne(view, models, loaded) {
    const el = document.createElement("div");
    el.className = "bp-explorer";
    view.parentNode.insertBefore(el, view);
    try {
      const { model_id: id } = JSON.parse(view.textContent);
      if (!models[id]) throw new Error(`no saved state for widget ${id}`);
      const { values, widget } = await loaded(id);
      await widget.render({ model: makeModel(values), el });
      // When the first explorer is drawn (the book's check prints it for a slow phone).
      if (!performance.getEntriesByName("bp-first-explorer").length) performance.mark("bp-first-explorer");
      el.dataset.live = "true";
      el.dataset.modelId = id;
      return true;
    } catch (error) {
      fail(el, error);
      return false;
    }
  }

  // The saved explorers, read as soon as this script runs: the book loads it (async)
  // right after the saved state, so their data is decoded and their modules imported
  // while the rest of the page still arrives. `loaded(id)` gives one model's promise.
  function prepare() {
    const stateTag = document.querySelector(STATE);
    if (!stateTag) return null;
    const models = JSON.parse(stateTag.textContent).state;
    const loading = {};
    const loaded = (id) => loading[id] || (loading[id] = loadExplorer(models[id]));
    for (const [id, saved] of Object.entries(models)) {
      // A failure is shown where the explorer is; this handler only keeps it from
      // being reported twice as an unhandled rejection.
      if (saved.model_name === "AnyModel") loaded(id).catch(() => {});
    }
    return { models, loaded };
  }

  async function start(prepared) {
    const views = [...document.querySelectorAll(VIEW)];
    if (!prepared || !views.length) return;
    const results = await Promise.all(views.map((view) => renderOne(view, prepared.models, prepared.loaded)));
    // Every explorer is live: hide the still figures kept for readers without
    // JavaScript (cells tagged explorer-still, which the book gives that class; the
    // book hides them already, see book/static/book.css). If one failed, show them.
    const stills = [...document.querySelectorAll(".tag_explorer-still")];
    if (results.every(Boolean)) {
      for (const still of stills) still.style.display = "none";
      describeWithStills(stills);
    } else {
      document.documentElement.classList.remove("bp-explorers-js");
    }
    document.documentElement.dataset.explorers = String(results.filter(Boolean).length);
  }

  // Each live figure is also described by the alt text of the still that follows it
  // (the still's picture is hidden, its words stay reachable for screen readers).
  function describeWithStills(stills) {
    for (const [n, figure] of document.querySelectorAll(".bp-explorer .bp-figure").entries()) {
      const still = stills.find((s) => figure.compareDocumentPosition(s) & Node.DOCUMENT_POSITION_FOLLOWING);
      const image = still && still.querySelector("img[alt]");
      if (!image || !image.alt) continue;
      image.id = image.id || `bp-still-${n}`;
      figure.setAttribute("aria-describedby", image.id);
    }
  }

  // Draw as soon as the page is parsed ("interactive"), before the page's deferred
  // scripts run and DOMContentLoaded fires: the explorers wait for no other script.
  const early = prepare();
  if (document.readyState === "loading") {
    document.addEventListener("readystatechange", function parsed() {
      document.removeEventListener("readystatechange", parsed);
      start(early || prepare());
    });
  } else {
    start(early || prepare());
  }
})();
