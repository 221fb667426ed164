// The dossier page: a line of the table and its box on the page image select each other.
// The new-dossier form: a file dropped on the drop zone becomes the file input's file.
(function () {
  "use strict";

  function select(number, scroll) {
    document.querySelectorAll(".selected").forEach(function (el) { el.classList.remove("selected"); });
    var row = document.getElementById("line-" + number);
    var boxes = document.querySelectorAll('rect.box[data-line="' + number + '"]');
    if (row) { row.classList.add("selected"); row.setAttribute("aria-selected", "true"); }
    boxes.forEach(function (box) { box.classList.add("selected"); });
    if (scroll === "box" && boxes.length) { boxes[0].scrollIntoView({ block: "center", behavior: "smooth" }); }
    if (scroll === "row" && row) { row.scrollIntoView({ block: "center", behavior: "smooth" }); }
  }

  function onLines() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.line"));
    rows.forEach(function (row, i) {
      row.addEventListener("click", function () { select(row.dataset.line, "box"); });
      row.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); select(row.dataset.line, "box"); }
        if (event.key === "ArrowDown" && rows[i + 1]) { event.preventDefault(); rows[i + 1].focus(); select(rows[i + 1].dataset.line, "box"); }
        if (event.key === "ArrowUp" && rows[i - 1]) { event.preventDefault(); rows[i - 1].focus(); select(rows[i - 1].dataset.line, "box"); }
      });
    });
    document.querySelectorAll("rect.box").forEach(function (box) {
      box.addEventListener("click", function () { select(box.dataset.line, "row"); });
      box.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); select(box.dataset.line, "row"); }
      });
    });
  }

  function onDropzone() {
    var zone = document.getElementById("dropzone");
    if (!zone) { return; }
    var input = document.getElementById(zone.dataset.input);
    var picked = document.getElementById("picked");
    function show() { picked.textContent = input.files.length ? "Fichier : " + input.files[0].name : ""; }
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      var files = event.dataTransfer.files;
      if (files.length !== 1) { picked.textContent = "Un seul fichier par dossier."; return; }
      var transfer = new DataTransfer();
      transfer.items.add(files[0]);
      input.files = transfer.files;
      show();
    });
  }

  document.addEventListener("DOMContentLoaded", function () { onLines(); onDropzone(); });
})();
