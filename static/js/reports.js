// The report's Print button (shown only when JavaScript runs; Ctrl+P works anyway).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-report");
  if (!button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
