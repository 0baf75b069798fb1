// Sort a group's table by a column: click its header, or #sort=t<group>:<column>:asc|desc.
function cellValue(row, col) {
  const cell = row.children[col];
  if (cell.dataset.value !== undefined) {
    return cell.dataset.value === "" ? -Infinity : parseFloat(cell.dataset.value);
  }
  const number = parseFloat(cell.textContent);
  return isNaN(number) ? cell.textContent : number;
}
function sortTable(table, col, descending) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = cellValue(a, col), y = cellValue(b, col);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return descending ? -order : order;
  });
  rows.forEach(row => body.appendChild(row));
  table.querySelectorAll("th").forEach(th => th.classList.remove("asc", "desc"));
  table.querySelector(`th[data-col="${col}"]`).classList.add(descending ? "desc" : "asc");
}
document.querySelectorAll("table").forEach(table => {
  table.querySelectorAll("th").forEach(th => th.addEventListener("click", () => {
    sortTable(table, Number(th.dataset.col), !th.classList.contains("desc"));
  }));
});
const match = location.hash.match(/^#sort=(t\d+):(\d+):(asc|desc)$/);
if (match) { sortTable(document.getElementById(match[1]), Number(match[2]), match[3] === "desc"); }
