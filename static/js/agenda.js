// "Copy the address" buttons of the agenda and the account page.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var input = document.getElementById(button.getAttribute("data-copy"));
  var status = document.querySelector("[data-copy-status]");
  function done() {
    if (status) {
      status.textContent = button.getAttribute("data-copied");
      status.classList.remove("visually-hidden");
    }
  }
  input.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(done, function () {
      document.execCommand("copy"); done();
    });
  } else {
    document.execCommand("copy");
    done();
  }
});
