// Episode browser: filters from the form or from the URL fragment, rows that expand.
// Fragment keys are the filter names, e.g. #predicted=CLARIFY&slice=ambiguity_type%3Dclear
// &min=0.5&expand=first (expand: an episode id, "first" or "all"). Rows carry one
// data-<name> attribute per filter; a "; "-separated attribute matches any of its values.
(function () {
  const form = document.querySelector("form.filters");
  const table = document.querySelector("table.episodes");
  if (!form || !table) return;
  const rows = Array.from(table.querySelectorAll("tr.episode"));
  const detail = id => table.querySelector(`tr.trajectory[data-for="${id}"]`);

  function setOpen(row, open) {
    row.classList.toggle("open", open);
    row.querySelector("button.expand").setAttribute("aria-expanded", String(open));
    row.querySelector("button.expand").textContent = open ? "▾" : "▸";
    detail(row.id).hidden = !open || row.hidden;
  }

  function matches(row) {
    for (const control of form.querySelectorAll("select")) {
      const wanted = control.value;
      if (!wanted) continue;
      const values = (row.getAttribute("data-" + control.name) || "").split("; ");
      if (!values.includes(wanted)) return false;
    }
    const score = parseFloat(row.dataset.score);
    const low = parseFloat(form.elements.min.value);
    const high = parseFloat(form.elements.max.value);
    if (!isNaN(low) && !(score >= low)) return false;
    if (!isNaN(high) && !(score <= high)) return false;
    return true;
  }

  function apply() {
    let shown = 0;
    for (const row of rows) {
      row.hidden = !matches(row);
      if (!row.hidden) shown += 1;
      detail(row.id).hidden = row.hidden || !row.classList.contains("open");
    }
    document.getElementById("shown-count").textContent = `${shown} of ${rows.length}`;
    table.dataset.shown = String(shown);
  }

  function fragment() {
    const params = new URLSearchParams();
    for (const control of form.elements) {
      if (control.name && control.value) params.set(control.name, control.value);
    }
    return params.toString();
  }

  function readFragment() {
    const params = new URLSearchParams(location.hash.slice(1) || location.search.slice(1));
    for (const [name, value] of params) {
      const control = form.elements[name];
      if (!control) continue;
      if (control.tagName === "SELECT" && !Array.from(control.options).some(o => o.value === value)) {
        control.add(new Option(value, value));  // an unknown value filters every row out
      }
      control.value = value;
    }
    apply();
    const expand = params.get("expand");
    const opened = expand === "all" ? rows.filter(r => !r.hidden)
      : expand === "first" ? rows.filter(r => !r.hidden).slice(0, 1)
      : rows.filter(r => r.dataset.id === expand);
    opened.forEach(row => setOpen(row, true));
    if (opened.length) opened[0].scrollIntoView();  // a shared link opens on its episode
  }

  rows.forEach(row => row.addEventListener("click", () => setOpen(row, !row.classList.contains("open"))));
  form.addEventListener("input", () => { apply(); history.replaceState(null, "", "#" + fragment()); });
  form.addEventListener("submit", event => event.preventDefault());
  form.querySelector("button.reset").addEventListener("click", () => {
    form.reset(); apply(); history.replaceState(null, "", location.pathname);
  });
  window.addEventListener("hashchange", readFragment);
  readFragment();
})();
