// The scan station: answer each scan without reloading the page, with a short
// sound (high for success, low for an error), and keep the input ready for the next
// scan. Without JavaScript the form posts and the page answers the same way.
(function () {
  "use strict";

  function beep(ok) {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      var audio = beep.audio || (beep.audio = new Context());
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.frequency.value = ok ? 880 : 220;
      oscillator.type = ok ? "sine" : "square";
      gain.gain.value = 0.15;
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + (ok ? 0.12 : 0.35));
    } catch (error) { /* sound is a bonus */ }
  }

  function focusInput() {
    var input = document.getElementById("code");
    if (input) { input.value = ""; input.focus(); }
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("scan-station");
    var current = document.getElementById("scan-station");
    if (!fresh || !current) { document.open(); document.write(html); document.close(); return; }
    current.replaceWith(fresh);
    var result = fresh.getAttribute("data-result");
    if (result) beep(result === "ok");
    bind();
    focusInput();
  }

  function submit(form) {
    if (form.dataset.busy) return;
    form.dataset.busy = "1";
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.text(); })
      .then(swap)
      .catch(function () { form.dataset.busy = ""; form.submit(); });
  }

  function startCamera(button) {
    var video = document.getElementById("camera-preview");
    var detector = new window.BarcodeDetector({ formats: ["qr_code", "code_128"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var timer = setInterval(function () {
        detector.detect(video).then(function (codes) {
          if (!codes.length) return;
          clearInterval(timer);
          stream.getTracks().forEach(function (track) { track.stop(); });
          var input = document.getElementById("code");
          input.value = codes[0].rawValue;
          submit(document.getElementById("scan-form"));
        }).catch(function () {});
      }, 300);
    }).catch(function () { button.hidden = true; });
  }

  function bind() {
    var form = document.getElementById("scan-form");
    if (!form) return;
    form.addEventListener("submit", function (event) { event.preventDefault(); submit(form); });
    var button = document.getElementById("camera-button");
    if (button && "BarcodeDetector" in window && navigator.mediaDevices) {
      button.hidden = false;
      button.addEventListener("click", function () { startCamera(button); });
    }
    var result = document.getElementById("scan-station").getAttribute("data-result");
    if (result && !bind.done) beep(result === "ok");
    bind.done = true;
  }

  document.addEventListener("DOMContentLoaded", function () { bind(); focusInput(); });
})();
